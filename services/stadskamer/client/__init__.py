"""Client library for systems that hold a BSN: validate it, pseudonymise it locally.

A municipal system uses this so that the BSN never leaves its own process: it checks the
number (11-check), makes the polymorphic pseudonym with the deployment's public key, and from
then on sends only that. A domain service uses it to decrypt the encrypted pseudonyms of its
own domain with its own key.
"""

from stadskamer.client.pseudonyms import (
    DomainKey,
    PseudonymClient,
    decrypt_pseudonym,
    encrypt_pseudonym,
    make_polymorphic_pseudonym,
    neutral_refusal,
    validate_bsn,
)

__all__ = [
    "DomainKey",
    "PseudonymClient",
    "decrypt_pseudonym",
    "encrypt_pseudonym",
    "make_polymorphic_pseudonym",
    "neutral_refusal",
    "validate_bsn",
]
