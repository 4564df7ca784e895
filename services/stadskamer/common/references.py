"""References across domains, kept so that only their own domain can compare them.

A value that another domain also knows (the KCC contact a complaint was made in, the id of
an event received, a trigger) is stored as ``HMAC-SHA256(k, value)`` with ``k`` derived from
the storing domain's secret key ``y_d`` (:func:`stadskamer.common.sealing.derive_key`, one
label per use). Within the domain the same value always gives the same digest (lookups,
deduplication); the digest equals nothing another domain stores, and without the key it
cannot be computed from what another domain stores. An id derived from a digest
(:meth:`KeyedDigest.uuid`) is as underivable.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from stadskamer.common.sealing import derive_key


class KeyedDigest:
    """HMAC-SHA256 under one key derived from a domain's secret key ``y_d``."""

    def __init__(self, domain_secret_key: bytes, label: bytes) -> None:
        self._key = derive_key(domain_secret_key, label)

    def digest(self, value: str) -> bytes:
        """The 32-byte digest of ``value`` (UTF-8)."""
        return hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).digest()

    def hex(self, value: str) -> str:
        """The digest in 64 hex digits."""
        return self.digest(value).hex()

    def uuid(self, value: str) -> str:
        """A (version 4 form) UUID made of the digest's first 16 bytes."""
        return str(uuid.UUID(bytes=self.digest(value)[:16], version=4))
