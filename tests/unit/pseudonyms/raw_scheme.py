"""The scheme's raw arithmetic for the vector and property tests (no service accepts it).

In production only the pseudonym service's issuance makes ``Enc_Y(M)``; these helpers exist so
the tests can reproduce the published vectors and properties byte for byte.
"""

from __future__ import annotations

from stadskamer import pep
from stadskamer.client.pseudonyms import DomainKey


def make_polymorphic_pseudonym(bsn: str, public_key: bytes, r: bytes | None = None) -> bytes:
    """``Enc_Y(M)`` of a BSN (validated), 96 bytes."""
    return pep.encrypt(pep.identity_point(pep.normalize_bsn(bsn)), public_key, r).to_bytes()


def encrypt_pseudonym(pseudonym: bytes, key: DomainKey) -> bytes:
    """``Enc_{Y_d}(P_d)``."""
    return pep.encrypt(pseudonym, key.public_key).to_bytes()


def decrypt_pseudonym(encrypted: bytes, key: DomainKey) -> bytes:
    """``Dec_{y_d}``, refusing a ciphertext under another key."""
    ciphertext = pep.Ciphertext.from_bytes(encrypted)
    if ciphertext.public_key != key.public_key:
        raise pep.InvalidEncodingError("not under this domain's key")
    return pep.decrypt(ciphertext, key.secret_key)
