"""Page tokens of ListProcessing: opaque, bound to their filter, robust against garbage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.audit import paging
from stadskamer.common.errors import InvalidArgument


def test_a_token_round_trips_for_its_own_filter_only() -> None:
    mine = paging.fingerprint(b"\x01" * 32, "agent-1", "", "kcc", None, None)
    other = paging.fingerprint(b"\x02" * 32, "agent-1", "", "kcc", None, None)
    token = paging.encode(mine, paging.Position(41, 100))
    assert paging.decode(token, mine) == paging.Position(41, 100)
    with pytest.raises(InvalidArgument) as raised:
        paging.decode(token, other)
    assert raised.value.violations[0].field == "page_token"


@given(st.text(max_size=200))
def test_any_text_is_a_valid_token_or_invalid_argument(text: str) -> None:
    try:
        position = paging.decode(text, "f")
    except InvalidArgument as error:
        assert error.violations[0].field == "page_token"
    else:
        assert position.after >= -1 and position.snapshot >= -1
