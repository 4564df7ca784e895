"""The BSN 11-check against known numbers, and as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.pep import InvalidBsnError, normalize_bsn
from tests.unit.pseudonyms.bsns import valid_bsns

KNOWN_VALID = ["111222333", "123456782", "012345672", "999999990", "1112.22.333", " 123 456 782 "]
KNOWN_INVALID = [
    "123456789",
    "000000000",
    "12345678a",
    "1234567",
    "1234567890",
    "",
    "１２３４５６７８２",
]


@pytest.mark.parametrize("raw", KNOWN_VALID)
def test_known_valid_numbers(raw: str) -> None:
    assert len(normalize_bsn(raw)) == 9


def test_eight_digits_get_a_leading_zero() -> None:
    assert normalize_bsn("12345672") == "012345672"


@pytest.mark.parametrize("raw", KNOWN_INVALID)
def test_known_invalid_numbers_never_echo_the_input(raw: str) -> None:
    with pytest.raises(InvalidBsnError) as raised:
        normalize_bsn(raw)
    assert not raw.strip() or raw not in str(raised.value)


@given(valid_bsns())
def test_generated_valid_numbers_pass(bsn: str) -> None:
    assert normalize_bsn(bsn) == bsn


@given(valid_bsns(), st.integers(0, 8), st.integers(1, 9))
def test_any_single_digit_change_is_detected(bsn: str, position: int, delta: int) -> None:
    changed = bsn[:position] + str((int(bsn[position]) + delta) % 10) + bsn[position + 1 :]
    with pytest.raises(InvalidBsnError):
        normalize_bsn(changed)
