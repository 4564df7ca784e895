"""ristretto255 group operations (RFC 9496) with strict validation of every input."""

from __future__ import annotations

import hashlib

import rbcl

POINT_BYTES = 32
SCALAR_BYTES = 32
_ZERO_SCALAR = bytes(SCALAR_BYTES)
NEUTRAL = bytes(POINT_BYTES)  # the canonical encoding of the neutral element (all zeros)
_BSN_LABEL = b"stadskamer/bsn/v1/"


class InvalidEncodingError(ValueError):
    """A byte string is not a valid point or scalar encoding for this scheme."""


def validate_point(encoded: bytes) -> bytes:
    """Return ``encoded`` if it is a canonical ristretto255 point other than the neutral
    element, else raise. ``is_valid_point`` accepts the neutral element; no input may be it."""
    if len(encoded) != POINT_BYTES:
        raise InvalidEncodingError(f"a point is {POINT_BYTES} bytes, got {len(encoded)}")
    if encoded == NEUTRAL:
        raise InvalidEncodingError("the neutral element is not allowed")
    if not rbcl.crypto_core_ristretto255_is_valid_point(encoded):
        raise InvalidEncodingError("not a valid ristretto255 point")
    return encoded


def validate_scalar(encoded: bytes) -> bytes:
    """Return ``encoded`` if it is a canonical, non-zero scalar, else raise."""
    if len(encoded) != SCALAR_BYTES:
        raise InvalidEncodingError(f"a scalar is {SCALAR_BYTES} bytes, got {len(encoded)}")
    if encoded == _ZERO_SCALAR:
        raise InvalidEncodingError("the zero scalar is not allowed")
    if reduce_scalar(encoded + bytes(32)) != encoded:
        raise InvalidEncodingError("scalar is not reduced modulo the group order")
    return encoded


def reduce_scalar(wide: bytes) -> bytes:
    """Reduce a 64-byte little-endian number modulo the group order."""
    return bytes(rbcl.crypto_core_ristretto255_scalar_reduce(wide))


def random_scalar() -> bytes:
    """A uniformly random non-zero scalar."""
    while True:
        scalar = bytes(rbcl.crypto_core_ristretto255_scalar_random())
        if scalar != _ZERO_SCALAR:
            return scalar


def scalar_mul(a: bytes, b: bytes) -> bytes:
    """The product of two scalars modulo the group order."""
    return bytes(rbcl.crypto_core_ristretto255_scalar_mul(a, b))


def scalar_invert(a: bytes) -> bytes:
    """The multiplicative inverse of a non-zero scalar."""
    return bytes(rbcl.crypto_core_ristretto255_scalar_invert(validate_scalar(a)))


def base_mul(scalar: bytes) -> bytes:
    """``scalar · G``."""
    return bytes(rbcl.crypto_scalarmult_ristretto255_base(scalar))


def point_mul(scalar: bytes, point: bytes) -> bytes:
    """``scalar · point``."""
    return bytes(rbcl.crypto_scalarmult_ristretto255(scalar, point))


def point_add(p: bytes, q: bytes) -> bytes:
    """``p + q``."""
    return bytes(rbcl.crypto_core_ristretto255_add(p, q))


def point_sub(p: bytes, q: bytes) -> bytes:
    """``p − q``."""
    return bytes(rbcl.crypto_core_ristretto255_sub(p, q))


def public_key(secret: bytes) -> bytes:
    """The public key ``secret · G`` of a secret scalar."""
    return base_mul(validate_scalar(secret))


def identity_point(bsn: str) -> bytes:
    """The identity point ``M = from_hash(SHA-512("stadskamer/bsn/v1/" + bsn))``.

    ``bsn`` must already be normalised (nine digits); see :func:`stadskamer.pep.normalize_bsn`.
    """
    digest = hashlib.sha512(_BSN_LABEL + bsn.encode("ascii")).digest()
    return bytes(rbcl.crypto_core_ristretto255_from_hash(digest))
