"""The BSN (burgerservicenummer): normalisation and the 11-check. Never store or log one."""

from __future__ import annotations

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


class InvalidBsnError(ValueError):
    """The input is not a valid BSN. The message never contains the input."""


def normalize_bsn(raw: str) -> str:
    """Return the nine-digit BSN for ``raw`` or raise :class:`InvalidBsnError`.

    Spaces and dots are removed; an eight-digit number gets a leading zero. The number must
    pass the 11-check ``9a + 8b + … + 2h − 1i ≡ 0 (mod 11)`` and must not be all zeros.
    """
    digits = raw.replace(" ", "").replace(".", "")
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or not (digits.isascii() and digits.isdigit()):
        raise InvalidBsnError("a BSN has nine digits")
    if digits == "000000000":
        raise InvalidBsnError("a BSN cannot be all zeros")
    if sum(w * int(d) for w, d in zip(_WEIGHTS, digits, strict=True)) % 11 != 0:
        raise InvalidBsnError("the number fails the BSN 11-check")
    return digits
