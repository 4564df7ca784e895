"""The repeat rule: earlier contacts of the same subject and domain within the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stadskamer.contacts.domain import Channel, PriorContact, repeat_signal

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def prior(
    days_ago: float, topic: str = "paspoort", channel: Channel = Channel.PHONE
) -> PriorContact:
    return PriorContact(NOW - timedelta(days=days_ago), topic, channel)


def test_no_earlier_contact_is_no_repeat() -> None:
    signal = repeat_signal("paspoort", NOW, 7, [])
    assert not signal.is_repeat
    assert signal.previous_contacts == 0
    assert signal.last_contact_at is None
    assert signal.channels == ()
    assert signal.window_days == 7


def test_contacts_within_the_window_count_with_topic_and_channels() -> None:
    earlier = [
        prior(1, "paspoort", Channel.COUNTER),
        prior(3, "afval", Channel.PHONE),
        prior(6.9, "afval", Channel.COUNTER),
    ]
    signal = repeat_signal("paspoort", NOW, 7, earlier)
    assert signal.is_repeat
    assert signal.previous_contacts == 3
    assert signal.same_topic
    assert signal.last_contact_at == NOW - timedelta(days=1)
    assert signal.channels == (Channel.COUNTER, Channel.PHONE)


def test_other_topic_only_is_a_repeat_without_same_topic() -> None:
    signal = repeat_signal("paspoort", NOW, 7, [prior(2, "afval")])
    assert signal.is_repeat
    assert not signal.same_topic


def test_window_edges_are_inclusive_and_outside_is_ignored() -> None:
    earlier = [prior(7), prior(7.0001), prior(-0.5), prior(0)]
    signal = repeat_signal("paspoort", NOW, 7, earlier)
    assert signal.previous_contacts == 2  # exactly 7 days ago and at the same moment
    assert signal.last_contact_at == NOW


def test_the_window_of_the_domain_applies() -> None:
    earlier = [prior(10)]
    assert not repeat_signal("paspoort", NOW, 7, earlier).is_repeat
    assert repeat_signal("paspoort", NOW, 14, earlier).previous_contacts == 1


@given(
    st.lists(st.floats(min_value=-30, max_value=30, allow_nan=False), max_size=30),
    st.integers(min_value=1, max_value=30),
)
def test_count_is_exactly_the_contacts_inside_the_window(ages: list[float], window: int) -> None:
    earlier = [prior(age) for age in ages]
    signal = repeat_signal("paspoort", NOW, window, earlier)
    inside = [p for p in earlier if NOW - timedelta(days=window) <= p.occurred_at <= NOW]
    assert signal.previous_contacts == len(inside)
    assert signal.is_repeat == bool(inside)
    if inside:
        assert signal.last_contact_at == max(p.occurred_at for p in inside)
        assert set(signal.channels) == {p.channel for p in inside}
