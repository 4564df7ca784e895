"""The polymorphic pseudonym scheme of shared/design/pseudonyms.md: ristretto255 ElGamal.

Plain Python over libsodium (through ``rbcl``); no I/O, no gRPC, no SQL. Every function that
needs randomness takes the random scalar as an optional argument, so the published test
vectors can be reproduced byte for byte.
"""

from stadskamer.pep.bsn import InvalidBsnError, normalize_bsn
from stadskamer.pep.elgamal import (
    CIPHERTEXT_BYTES,
    Ciphertext,
    NeutralPlaintextError,
    decrypt,
    encrypt,
    rekey,
    rerandomize,
    reshuffle,
    rsk,
    rsk_prepared,
)
from stadskamer.pep.factors import derive_factor, domain_key_pair
from stadskamer.pep.group import (
    POINT_BYTES,
    SCALAR_BYTES,
    InvalidEncodingError,
    identity_point,
    public_key,
    random_scalar,
    validate_point,
    validate_scalar,
)

__all__ = [
    "CIPHERTEXT_BYTES",
    "POINT_BYTES",
    "SCALAR_BYTES",
    "Ciphertext",
    "InvalidBsnError",
    "InvalidEncodingError",
    "NeutralPlaintextError",
    "decrypt",
    "derive_factor",
    "domain_key_pair",
    "encrypt",
    "identity_point",
    "normalize_bsn",
    "public_key",
    "random_scalar",
    "rekey",
    "rerandomize",
    "reshuffle",
    "rsk",
    "rsk_prepared",
    "validate_point",
    "validate_scalar",
]
