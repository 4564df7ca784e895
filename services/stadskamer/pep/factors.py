"""Per-domain factors derived from the transcryptor's secrets (HMAC-SHA512, reduced)."""

from __future__ import annotations

import hashlib
import hmac

from stadskamer.pep.group import public_key as derive_public_key
from stadskamer.pep.group import reduce_scalar, scalar_mul, validate_scalar

PSEUDONYM_LABEL = "stadskamer/pseudonym/{version}/"
REKEY_LABEL = "stadskamer/rekey/{version}/"


def derive_factor(secret: bytes, label: str, domain: str, version: str = "v1") -> bytes:
    """``reduce(HMAC-SHA512(secret, label(version) + domain))``, e.g. ``s_d`` or ``k_d``."""
    message = (label.format(version=version) + domain).encode("utf-8")
    factor = reduce_scalar(hmac.new(secret, message, hashlib.sha512).digest())
    return validate_scalar(factor)


def domain_key_pair(master_secret: bytes, rekey_factor: bytes) -> tuple[bytes, bytes]:
    """A domain's decryption key ``y_d = k_d·y`` and its public key ``Y_d``."""
    secret = scalar_mul(rekey_factor, validate_scalar(master_secret))
    return secret, derive_public_key(secret)
