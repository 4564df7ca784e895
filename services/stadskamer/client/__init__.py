"""Client library of the Stadskamer contracts: the pseudonym service and domain keys.

A municipal system that identified a citizen by BSN has the BSN issued by the pseudonym
service into the domains it acts for and sends only the tagged pseudonyms it got back. A
domain service claims a tagged pseudonym of its own domain once and decrypts it with its own
key.
"""

from stadskamer.client.pseudonyms import (
    Claim,
    DomainKey,
    PseudonymClient,
    decrypt_pseudonym,
    neutral_refusal,
    validate_bsn,
)

__all__ = [
    "Claim",
    "DomainKey",
    "PseudonymClient",
    "decrypt_pseudonym",
    "neutral_refusal",
    "validate_bsn",
]
