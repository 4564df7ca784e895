"""Topic signals: periods of whole buckets and the aggregation of counts into signals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stadskamer.api.contacts.v1 import contacts_pb2
from stadskamer.common.errors import InvalidArgument
from stadskamer.contacts.domain import Channel
from stadskamer.contacts.signals import Bucket, CountRow, plan_period, topic_signals

NOW = datetime(2025, 3, 10, 12, 30, tzinfo=UTC)


def test_the_default_period_is_28_days_of_day_buckets_ending_now() -> None:
    period = plan_period(None, None, Bucket.DAY, NOW)
    assert period.count == 28
    assert period.end == NOW
    assert period.start == NOW - timedelta(days=28)
    starts = period.bucket_starts()
    assert starts[0] == period.start
    assert starts[-1] == NOW - timedelta(days=1)


def test_a_period_is_shortened_to_whole_buckets() -> None:
    period = plan_period(NOW - timedelta(days=30), NOW, Bucket.WEEK, NOW)
    assert period.count == 4
    assert period.start == NOW - timedelta(days=28)


@pytest.mark.parametrize(
    ("start", "end", "bucket", "field"),
    [
        (NOW, NOW - timedelta(days=1), Bucket.DAY, "start_time"),
        (NOW - timedelta(hours=5), NOW, Bucket.DAY, "start_time"),
        (NOW - timedelta(days=100), NOW, Bucket.HOUR, "bucket"),
    ],
)
def test_impossible_periods_are_refused(
    start: datetime, end: datetime, bucket: Bucket, field: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        plan_period(start, end, bucket, NOW)
    assert caught.value.violations[0].field == field


def test_counts_become_per_topic_signals_with_shares_and_mix() -> None:
    rows = [
        CountRow("afval", 0, Channel.PHONE, False, False, True, 6),
        CountRow("afval", 1, Channel.PHONE, True, True, False, 2),
        CountRow("afval", 1, Channel.EMAIL, True, False, True, 2),
        CountRow("paspoort", 1, Channel.COUNTER, False, False, True, 1),
        CountRow("paspoort", 5, Channel.COUNTER, False, False, True, 99),  # outside: ignored
    ]
    signals = {s.topic: s for s in topic_signals(rows, 2)}
    afval = signals["afval"]
    assert afval.counts == (6, 4)
    assert afval.total == 10
    assert afval.repeat_share == pytest.approx(0.4)
    assert afval.same_topic_repeat_share == pytest.approx(0.2)
    assert afval.resolved_first_time_share == pytest.approx(0.8)
    assert [(c.channel, c.count) for c in afval.channel_mix] == [
        (Channel.PHONE, 8),
        (Channel.EMAIL, 2),
    ]
    assert signals["paspoort"].counts == (0, 1)


def test_rising_topics_come_first() -> None:
    rows = [CountRow("afval", i, Channel.PHONE, False, False, True, 30) for i in range(9)]
    rows += [CountRow("energietoeslag", i, Channel.PHONE, False, False, True, 2) for i in range(8)]
    rows.append(CountRow("energietoeslag", 8, Channel.PHONE, False, False, True, 25))
    signals = topic_signals(rows, 9)
    assert [s.topic for s in signals] == ["energietoeslag", "afval"]
    assert signals[0].rising.rising
    assert not signals[1].rising.rising


def test_the_bucket_numbers_are_those_of_the_contract() -> None:
    contract = {
        name.removeprefix("BUCKET_"): number
        for name, number in contacts_pb2.Bucket.items()
        if number != 0
    }
    assert contract == {b.name: int(b) for b in Bucket}
