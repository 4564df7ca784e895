"""Idempotency keys at rest: a caller's ``request_id`` is kept only as a keyed digest.

A request id is chosen by the caller and may hold anything (an e-mail address, a BSN), so no
service stores it. It stores ``HMAC-SHA256(k, request_id)`` with
``k = HKDF-SHA256(y_d, salt=None, info="stadskamer/request-id/v1")`` and ``y_d`` the secret key
of the domain the request is for (:func:`stadskamer.common.sealing.derive_key`). A retry gives
the same digest, so idempotency holds across restarts; without ``y_d`` nobody can compute the
digest of a guessed request id, and the digests of one request id in two domains are unrelated.

The request id itself is answered only to the request that carries it; read back later, a
record has none. Migrations that turn stored request ids into digests find the digests of the
served domains under :data:`MIGRATION_ATTRIBUTE` in Alembic's ``config.attributes``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from stadskamer.common.sealing import derive_key

LABEL = b"stadskamer/request-id/v1"
DIGEST_BYTES = 32
MIGRATION_ATTRIBUTE = "request_digests"


class RequestDigest:
    """The keyed digest of request ids under one domain's secret key ``y_d``."""

    def __init__(self, domain_secret_key: bytes) -> None:
        self._key = derive_key(domain_secret_key, LABEL)

    def __call__(self, request_id: str) -> bytes:
        """``HMAC-SHA256(k, request_id)`` (32 bytes)."""
        return hmac.new(self._key, request_id.encode("utf-8"), hashlib.sha256).digest()


def request_digests(domain_secret_keys: Mapping[str, bytes]) -> dict[str, RequestDigest]:
    """The digest of every domain whose secret key is given."""
    return {domain: RequestDigest(key) for domain, key in domain_secret_keys.items()}


def migration_attributes(digests: Mapping[str, RequestDigest]) -> dict[str, object]:
    """What ``migrate(..., attributes=...)`` gives the migrations that digest stored ids."""
    return {MIGRATION_ATTRIBUTE: dict(digests)}
