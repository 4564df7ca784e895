"""Encryption at rest of the free-text summaries: AES-256-GCM under a per-domain key.

The key of domain ``d`` is ``HKDF-SHA256(y_d, info="stadskamer/contacts/summary/v1")``, so only
a holder of that domain's decryption key can read its summaries. A sealed summary is a random
12-byte nonce followed by the ciphertext and tag; the contact's domain and id are the
associated data, so a sealed summary cannot be moved to another contact.
"""

from __future__ import annotations

from collections.abc import Mapping

from stadskamer.common.sealing import Sealer, derive_key

INFO = b"stadskamer/contacts/summary/v1"


def summary_key(domain_secret_key: bytes) -> bytes:
    """The 32-byte AES key derived from a domain's secret key ``y_d``."""
    return derive_key(domain_secret_key, INFO)


class SummaryCipher:
    """Seals and opens summaries of the domains whose secret keys it was given."""

    def __init__(self, domain_secret_keys: Mapping[str, bytes]) -> None:
        self._sealers = {d: Sealer(summary_key(k)) for d, k in domain_secret_keys.items()}

    def seal(self, domain: str, contact_id: str, summary: str) -> bytes:
        """``nonce || AES-GCM(summary)`` bound to the contact."""
        return self._sealers[domain].seal(summary, f"{domain}/{contact_id}")

    def open(self, domain: str, contact_id: str, sealed: bytes) -> str:
        """The summary; ``cryptography.exceptions.InvalidTag`` when it was tampered with."""
        return self._sealers[domain].open(sealed, f"{domain}/{contact_id}")
