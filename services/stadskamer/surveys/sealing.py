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

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32
TEXTS = b"stadskamer/surveys/texts/v1"
ADDRESSES = b"stadskamer/surveys/addresses/v1"
MEMBER_KEYS = b"stadskamer/surveys/member-keys/v1"
REFERENCES = b"stadskamer/surveys/references/v1"
SAMPLING = b"stadskamer/surveys/sampling/v1"


def derive_key(domain_secret_key: bytes, label: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from the onderzoek secret key ``y_d``."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label).derive(
        domain_secret_key
    )


class Sealer:
    """Seals and opens bytes and texts with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal_bytes(self, data: bytes, context: str) -> bytes:
        """``nonce || AES-GCM(data)`` with ``context`` as associated data."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data, context.encode())

    def open_bytes(self, sealed: bytes, context: str) -> bytes:
        """The data; ``cryptography.exceptions.InvalidTag`` when tampered with or moved."""
        return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())

    def seal(self, text: str, context: str) -> bytes:
        """A sealed UTF-8 text."""
        return self.seal_bytes(text.encode("utf-8"), context)

    def open(self, sealed: bytes, context: str) -> str:
        """The text of :meth:`seal`."""
        return self.open_bytes(sealed, context).decode("utf-8")


class Keyring:
    """Every key of the surveys service, derived once from the onderzoek secret key."""

    def __init__(self, domain_secret_key: bytes) -> None:
        self.texts = Sealer(derive_key(domain_secret_key, TEXTS))
        self.addresses = Sealer(derive_key(domain_secret_key, ADDRESSES))
        self._member_keys = Sealer(derive_key(domain_secret_key, MEMBER_KEYS))
        self._references = derive_key(domain_secret_key, REFERENCES)
        self.sampling_seed = derive_key(domain_secret_key, SAMPLING)

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
