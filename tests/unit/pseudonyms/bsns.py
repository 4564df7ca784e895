"""A hypothesis strategy for valid BSNs (for the crypto property tests)."""

from __future__ import annotations

from hypothesis import strategies as st

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(first_eight: str) -> int | None:
    """The ninth digit that makes the number pass the 11-check, or None if none does."""
    total = sum(w * int(d) for w, d in zip(WEIGHTS, first_eight, strict=True))
    digit = total % 11
    return digit if digit <= 9 else None


def _complete(first_eight: str) -> str | None:
    digit = check_digit(first_eight)
    return None if digit is None else first_eight + str(digit)


def valid_bsns() -> st.SearchStrategy[str]:
    """Nine-digit numbers that pass the 11-check and are not all zeros."""
    return (
        st.integers(1, 99_999_999)
        .map(lambda n: _complete(f"{n:08d}"))
        .filter(lambda bsn: bsn is not None)
        .map(str)
    )
