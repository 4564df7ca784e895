"""Encryption at rest of the surveys service: AES-256-GCM under keys derived from ``y_d``.

Every key is ``HKDF-SHA256(y_d, salt=None, info=<purpose label>)`` with ``y_d`` the
``onderzoek`` domain's secret key, so only a holder of that key can read what is sealed:

| label | sealed with it |
|---|---|
| ``stadskamer/surveys/texts/v1`` | free texts of answers, improvements, source references |
| ``stadskamer/surveys/addresses/v1`` | an invitation's contact address (until delivered) |
| ``stadskamer/surveys/member-keys/v1`` | the per-member data keys of panel members |
| ``stadskamer/surveys/references/v1`` | HMAC key of the source-reference lookup hash |
| ``stadskamer/surveys/sampling/v1`` | the default seed of the sampling draw |
| ``stadskamer/request-id/v1`` | HMAC key of request ids (:mod:`stadskamer.common.request_ids`) |

A sealed value is a random 12-byte nonce followed by the ciphertext and tag; the associated
data binds it to its place (e.g. ``<invitation id>/good``), so it cannot be moved to another
row or field. A panel member's address is sealed under the member's own random data key,
which is stored wrapped (sealed) in a separate row: deleting that row crypto-shreds the
address, also in backups that still hold the sealed address.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from stadskamer.common.request_ids import RequestDigest
from stadskamer.common.sealing import KEY_BYTES, Sealer, derive_key

TEXTS = b"stadskamer/surveys/texts/v1"
ADDRESSES = b"stadskamer/surveys/addresses/v1"
MEMBER_KEYS = b"stadskamer/surveys/member-keys/v1"
REFERENCES = b"stadskamer/surveys/references/v1"
SAMPLING = b"stadskamer/surveys/sampling/v1"


class Keyring:
    """Every key of the surveys service, derived once from the onderzoek secret key."""

    def __init__(self, domain_secret_key: bytes) -> None:
        self.texts = Sealer(derive_key(domain_secret_key, TEXTS))
        self.addresses = Sealer(derive_key(domain_secret_key, ADDRESSES))
        self._member_keys = Sealer(derive_key(domain_secret_key, MEMBER_KEYS))
        self._references = derive_key(domain_secret_key, REFERENCES)
        self.sampling_seed = derive_key(domain_secret_key, SAMPLING)
        self.request_digest = RequestDigest(domain_secret_key)

    def reference_hash(self, reference: str) -> bytes:
        """The keyed lookup hash of a source reference (HMAC-SHA256)."""
        return hmac.new(self._references, reference.encode("utf-8"), hashlib.sha256).digest()

    def new_member_key(self, member_id: str) -> tuple[Sealer, bytes]:
        """A fresh data key for a panel member: its sealer and the wrapped key to store."""
        key = os.urandom(KEY_BYTES)
        return Sealer(key), self._member_keys.seal_bytes(key, f"member/{member_id}")

    def member_sealer(self, member_id: str, wrapped: bytes) -> Sealer:
        """The sealer of a member's stored (wrapped) data key."""
        return Sealer(self._member_keys.open_bytes(wrapped, f"member/{member_id}"))
