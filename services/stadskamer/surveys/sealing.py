"""Encryption at rest of the surveys service: AES-256-GCM under keys derived from ``y_d``.

Every key is ``HKDF-SHA256(y_d, salt=None, info=<purpose label>)`` with ``y_d`` the
``onderzoek`` domain's secret key, so only a holder of that key can read what is sealed:

| label | sealed with it |
|---|---|
| ``stadskamer/surveys/texts/v1`` | free texts of answers, improvements, source references |
| ``stadskamer/surveys/addresses/v1`` | an invitation's contact address (until delivered) |
| ``stadskamer/surveys/member-keys/v1`` | the per-member data keys of panel members |
| ``stadskamer/surveys/references/v1`` | HMAC key of the source-reference lookup hash |
| ``stadskamer/surveys/triggers/v1`` | HMAC key of a trigger's key (an event id, a request id) |
| ``stadskamer/surveys/followups/v1`` | HMAC key of the request id of a follow-up consent |
| ``stadskamer/surveys/sampling/v1`` | the default seed of the sampling draw |
| ``stadskamer/request-id/v1`` | HMAC key of request ids (:mod:`stadskamer.common.request_ids`) |

A sealed value is a random 12-byte nonce followed by the ciphertext and tag; the associated
data binds it to its place (e.g. ``<invitation id>/good``), so it cannot be moved to another
row or field. A value another domain knows (a source reference, an event id) is stored only
as its keyed digest (:mod:`stadskamer.common.references`). A panel member's address is
sealed under the member's own random data key, which is stored wrapped (sealed) in a
separate row: deleting that row crypto-shreds the address, also in backups that still hold
the sealed address.
"""

from __future__ import annotations

import os

from stadskamer.common.references import KeyedDigest
from stadskamer.common.request_ids import RequestDigest
from stadskamer.common.sealing import KEY_BYTES, Sealer, derive_key

TEXTS = b"stadskamer/surveys/texts/v1"
ADDRESSES = b"stadskamer/surveys/addresses/v1"
MEMBER_KEYS = b"stadskamer/surveys/member-keys/v1"
REFERENCES = b"stadskamer/surveys/references/v1"
TRIGGERS = b"stadskamer/surveys/triggers/v1"
FOLLOWUPS = b"stadskamer/surveys/followups/v1"
SAMPLING = b"stadskamer/surveys/sampling/v1"


class Keyring:
    """Every key of the surveys service, derived once from the onderzoek secret key."""

    def __init__(self, domain_secret_key: bytes) -> None:
        self.texts = Sealer(derive_key(domain_secret_key, TEXTS))
        self.addresses = Sealer(derive_key(domain_secret_key, ADDRESSES))
        self._member_keys = Sealer(derive_key(domain_secret_key, MEMBER_KEYS))
        self._references = KeyedDigest(domain_secret_key, REFERENCES)
        self._triggers = KeyedDigest(domain_secret_key, TRIGGERS)
        self._followups = KeyedDigest(domain_secret_key, FOLLOWUPS)
        self.sampling_seed = derive_key(domain_secret_key, SAMPLING)
        self.request_digest = RequestDigest(domain_secret_key)

    def reference_hash(self, reference: str) -> bytes:
        """The keyed lookup hash of a source reference (HMAC-SHA256)."""
        return self._references.digest(reference)

    def trigger_key(self, key: str) -> str:
        """The stored form of a trigger's key (``event:<id>``, ``request:<id>``): 64 hex."""
        return self._triggers.hex(key)

    def followup_request_id(self, invitation_id: str) -> str:
        """The request id of an invitation's follow-up consent: the same for every attempt,
        and not the invitation's id (the consent service stores it)."""
        return f"surveys-followup-{self._followups.uuid(invitation_id)}"

    def new_member_key(self, member_id: str) -> tuple[Sealer, bytes]:
        """A fresh data key for a panel member: its sealer and the wrapped key to store."""
        key = os.urandom(KEY_BYTES)
        return Sealer(key), self._member_keys.seal_bytes(key, f"member/{member_id}")

    def member_sealer(self, member_id: str, wrapped: bytes) -> Sealer:
        """The sealer of a member's stored (wrapped) data key."""
        return Sealer(self._member_keys.open_bytes(wrapped, f"member/{member_id}"))
