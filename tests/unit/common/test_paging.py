"""Page tokens: opaque, bound to their filter, and any garbage is INVALID_ARGUMENT."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.common import paging
from stadskamer.common.errors import InvalidArgument


def test_a_token_round_trips_for_its_own_filter_only() -> None:
    mine = paging.fingerprint(b"\x01" * 32, "agent-1", "", "kcc", None, None)
    other = paging.fingerprint(b"\x02" * 32, "agent-1", "", "kcc", None, None)
    token = paging.encode(mine, (1_700_000_000_000_000, "id-1"))
    assert "=" not in token
    assert paging.decode(token, mine) == (1_700_000_000_000_000, "id-1")
    with pytest.raises(InvalidArgument, match="another filter") as raised:
        paging.decode(token, other)
    assert raised.value.violations[0].field == "page_token"


def test_a_position_of_two_integers_round_trips_and_kinds_are_checked() -> None:
    token = paging.encode("f", (41, 100))
    assert paging.decode(token, "f", int) == (41, 100)
    with pytest.raises(InvalidArgument):
        paging.decode(token, "f", str)
    with pytest.raises(InvalidArgument):
        paging.decode(paging.encode("f", (1, "x")), "f", int)


@pytest.mark.parametrize("position", [(-2, "x"), (1, ""), (1, "x" * 65), (True, "x")], ids=str)
def test_positions_out_of_range_are_refused(position: tuple[int, str]) -> None:
    with pytest.raises(InvalidArgument):
        paging.decode(paging.encode("f", position), "f")


def test_an_overlong_token_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        paging.decode("A" * (paging.MAX_TOKEN_LENGTH + 1), "f")


@given(st.text(max_size=200))
def test_any_text_is_a_position_or_invalid_argument(text: str) -> None:
    try:
        first, then = paging.decode(text, "f")
    except InvalidArgument as error:
        assert error.violations[0].field == "page_token"
    else:
        assert first >= -1 and isinstance(then, str)
