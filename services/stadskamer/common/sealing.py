"""Encryption at rest: AES-256-GCM under keys derived from a domain's secret key ``y_d``.

A key is ``HKDF-SHA256(y_d, salt=None, info=<label>)``: each service and purpose has its own
label, and only a holder of the domain's decryption key can read what is sealed. A sealed
value is a random 12-byte nonce followed by the ciphertext and tag; the associated data (a
context string such as ``<id>/summary``) binds it to its place, so it cannot be moved.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32


def derive_key(domain_secret_key: bytes, label: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from a domain's secret key ``y_d``."""
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
