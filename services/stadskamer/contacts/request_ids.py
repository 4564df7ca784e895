"""Identifiers derived from a registration's idempotency key: its request_id's keyed digest.

The request_id is kept only as ``HMAC-SHA256`` under a key derived from the registering
domain's secret key (:mod:`stadskamer.common.request_ids`). Every attempt of one request gets
the same digest and, from it, the same contact id and the same processing-record id, so
concurrent or repeated attempts meet in the unique keys of the contacts table and of the
processing log instead of being told apart by a read first. Without the domain's key nobody
can compute these ids from a request id, and two domains' ids of one request id are unrelated.
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import sha256
from uuid import UUID, uuid5

from stadskamer.common.request_ids import migration_attributes, request_digests

_CONTACT_IDS = UUID("0f5d7a4e-2c1b-4e8e-9a3d-6b2f1c0e9d84")


class RequestKeys:
    """The request-id digests of the served domains."""

    def __init__(self, domain_secret_keys: Mapping[str, bytes]) -> None:
        self._digests = request_digests(domain_secret_keys)

    def digest(self, domain: str, request_id: str) -> bytes:
        """The keyed digest of ``request_id`` in ``domain`` (32 bytes)."""
        return self._digests[domain](request_id)

    def for_migrations(self) -> dict[str, object]:
        """The attributes that let the migrations digest stored request ids."""
        return migration_attributes(self._digests)


def contact_id_of(digest: bytes) -> str:
    """The contact id of a registration request: the same for every attempt of it."""
    return str(uuid5(_CONTACT_IDS, digest.hex()))


def record_id(digest: bytes) -> str:
    """The processing-record id of a registration request (32 hex digits)."""
    return sha256(b"contacts.register\x00" + digest).hexdigest()[:32]
