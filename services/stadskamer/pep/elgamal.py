"""ElGamal on ristretto255 with the public key carried along: ciphertexts are b || c || Y."""

from __future__ import annotations

from dataclasses import dataclass

from stadskamer.pep.group import (
    NEUTRAL,
    POINT_BYTES,
    InvalidEncodingError,
    base_mul,
    point_add,
    point_mul,
    point_sub,
    random_scalar,
    scalar_invert,
    scalar_mul,
    validate_point,
    validate_scalar,
)

CIPHERTEXT_BYTES = 3 * POINT_BYTES


class NeutralPlaintextError(InvalidEncodingError):
    """A ciphertext decrypts to the neutral element: an encryption of no one's pseudonym, which
    anyone can make from a public key (``(r·G, r·Y, Y)``). ``reason`` is the stable code
    under which every service refuses such a subject."""

    reason = "IDENTITY_PSEUDONYM"


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """An ElGamal ciphertext ``(b, c, Y)`` = ``(r·G, M + r·Y, Y)``."""

    b: bytes
    c: bytes
    public_key: bytes

    @classmethod
    def from_bytes(cls, wire: bytes) -> Ciphertext:
        """Parse the 96-byte wire form, validating all three points."""
        if len(wire) != CIPHERTEXT_BYTES:
            raise InvalidEncodingError(f"a ciphertext is {CIPHERTEXT_BYTES} bytes, got {len(wire)}")
        parts = [validate_point(wire[i : i + POINT_BYTES]) for i in range(0, 96, POINT_BYTES)]
        return cls(parts[0], parts[1], parts[2])

    def to_bytes(self) -> bytes:
        """The 96-byte wire form ``b || c || Y``."""
        return self.b + self.c + self.public_key


def encrypt(message: bytes, public_key: bytes, r: bytes | None = None) -> Ciphertext:
    """Encrypt point ``message`` under ``public_key`` with random scalar ``r``."""
    validate_point(message)
    validate_point(public_key)
    r = validate_scalar(r) if r is not None else random_scalar()
    return Ciphertext(base_mul(r), point_add(message, point_mul(r, public_key)), public_key)


def decrypt(ciphertext: Ciphertext, secret_key: bytes) -> bytes:
    """Decrypt with ``secret_key``: ``M = c − y·b``.

    The caller should check ``ciphertext.public_key`` matches its key; a wrong key gives an
    unrelated point, never an error. Raises :class:`NeutralPlaintextError` when ``M`` is the
    neutral element.
    """
    message = point_sub(ciphertext.c, point_mul(validate_scalar(secret_key), ciphertext.b))
    if message == NEUTRAL:
        raise NeutralPlaintextError("the ciphertext encrypts the neutral element")
    return message


def rerandomize(ciphertext: Ciphertext, s: bytes | None = None) -> Ciphertext:
    """Same plaintext, unlinkable bytes: ``(b + s·G, c + s·Y, Y)``."""
    s = validate_scalar(s) if s is not None else random_scalar()
    return Ciphertext(
        point_add(ciphertext.b, base_mul(s)),
        point_add(ciphertext.c, point_mul(s, ciphertext.public_key)),
        ciphertext.public_key,
    )


def reshuffle(ciphertext: Ciphertext, n: bytes) -> Ciphertext:
    """Now encrypts ``n·M``: ``(n·b, n·c, Y)``."""
    validate_scalar(n)
    return Ciphertext(point_mul(n, ciphertext.b), point_mul(n, ciphertext.c), ciphertext.public_key)


def rekey(ciphertext: Ciphertext, k: bytes) -> Ciphertext:
    """Same ``M`` under key ``k·y``: ``(k⁻¹·b, c, k·Y)``."""
    k_inverse = scalar_invert(k)
    return Ciphertext(
        point_mul(k_inverse, ciphertext.b), ciphertext.c, point_mul(k, ciphertext.public_key)
    )


def rsk(
    ciphertext: Ciphertext, n: bytes, k: bytes, rekeyed_public_key: bytes | None = None
) -> Ciphertext:
    """Reshuffle and rekey at once: ``(n·k⁻¹·b, n·c, k·Y)``.

    A caller that already knows ``k·Y`` (a domain's public key) passes it as
    ``rekeyed_public_key`` to save one scalar multiplication; it is not checked.
    """
    validate_scalar(n)
    new_public_key = rekeyed_public_key or point_mul(k, ciphertext.public_key)
    return rsk_prepared(ciphertext, n, scalar_mul(n, scalar_invert(k)), new_public_key)


def rsk_prepared(
    ciphertext: Ciphertext, n: bytes, n_over_k: bytes, new_public_key: bytes
) -> Ciphertext:
    """RSK with factors prepared once per domain (pair): ``n``, ``n·k⁻¹`` and ``k·Y``."""
    return Ciphertext(point_mul(n_over_k, ciphertext.b), point_mul(n, ciphertext.c), new_public_key)
