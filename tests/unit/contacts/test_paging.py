"""Page tokens: opaque, bound to their filter, refused when malformed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.common import paging
from stadskamer.common.errors import InvalidArgument
from stadskamer.contacts.queries import ListQuery


def test_a_token_returns_its_position_for_the_same_filter() -> None:
    query = ListQuery(domain="kcc", topic="afval")
    token = paging.encode(query.fingerprint(), (1_700_000_000_000_000, "abc"))
    assert paging.decode(token, ListQuery(domain="kcc", topic="afval").fingerprint()) == (
        1_700_000_000_000_000,
        "abc",
    )


def test_paging_values_do_not_change_the_fingerprint() -> None:
    assert (
        ListQuery(domain="kcc", page_size=5).fingerprint()
        == ListQuery(domain="kcc", page_size=50, page_token="x").fingerprint()
    )


def test_a_token_is_bound_to_filtering_on_a_subject_not_to_the_subject_bytes() -> None:
    first = ListQuery(domain="kcc", subject=b"\x01" * 200).fingerprint()
    assert first == ListQuery(domain="kcc", subject=b"\x02" * 200).fingerprint()
    assert first != ListQuery(domain="kcc", encrypted_subject=b"\x01" * 200).fingerprint()


@pytest.mark.parametrize(
    "other",
    [
        ListQuery(domain="burgerzaken", topic="afval"),
        ListQuery(domain="kcc", topic="paspoort"),
        ListQuery(domain="kcc", topic="afval", subject=b"\x01" * 96),
        ListQuery(domain="kcc", topic="afval", channel=2),
        ListQuery(domain="kcc", topic="afval", org_unit="team"),
    ],
)
def test_a_token_of_another_filter_is_refused(other: ListQuery) -> None:
    token = paging.encode(ListQuery(domain="kcc", topic="afval").fingerprint(), (1, "a"))
    with pytest.raises(InvalidArgument) as caught:
        paging.decode(token, other.fingerprint())
    assert caught.value.violations[0].field == "page_token"


@given(st.text(max_size=200))
def test_any_garbage_is_invalid_argument_on_page_token(token: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        paging.decode(token, "fingerprint")
    assert caught.value.violations[0].field == "page_token"
