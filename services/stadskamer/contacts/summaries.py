"""Encryption at rest of the free-text summaries: AES-256-GCM under a per-domain key.

The key of domain ``d`` is ``HKDF-SHA256(y_d, info="stadskamer/contacts/summary/v1")``, so only
a holder of that domain's decryption key can read its summaries. A sealed summary is a random
12-byte nonce followed by the ciphertext and tag; the contact's domain and id are the
associated data, so a sealed summary cannot be moved to another contact.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"stadskamer/contacts/summary/v1"
NONCE_BYTES = 12


def summary_key(domain_secret_key: bytes) -> bytes:
    """The 32-byte AES key derived from a domain's secret key ``y_d``."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(
        domain_secret_key
    )


class SummaryCipher:
    """Seals and opens summaries of the domains whose secret keys it was given."""

    def __init__(self, domain_secret_keys: Mapping[str, bytes]) -> None:
        self._ciphers = {d: AESGCM(summary_key(k)) for d, k in domain_secret_keys.items()}

    def seal(self, domain: str, contact_id: str, summary: str) -> bytes:
        """``nonce || AES-GCM(summary)`` bound to the contact."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[domain].encrypt(
            nonce, summary.encode("utf-8"), _associated(domain, contact_id)
        )
        return nonce + sealed

    def open(self, domain: str, contact_id: str, sealed: bytes) -> str:
        """The summary; ``cryptography.exceptions.InvalidTag`` when it was tampered with."""
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        plain = self._ciphers[domain].decrypt(nonce, body, _associated(domain, contact_id))
        return plain.decode("utf-8")


def _associated(domain: str, contact_id: str) -> bytes:
    return f"{domain}/{contact_id}".encode()
