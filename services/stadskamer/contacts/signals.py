"""Topic signals: contacts per topic per time bucket, and the rule that flags a rising topic.

Plain Python: no gRPC, no SQL. The repository counts contacts grouped by topic, bucket and
the few attributes the shares need; this module turns those counts into signals.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from stadskamer.common.errors import InvalidArgument
from stadskamer.contacts.domain import Channel

DEFAULT_PERIOD = timedelta(days=28)
MAX_BUCKETS = 1000
BASELINE_BUCKETS = 8
MIN_BASELINE_BUCKETS = 3
MIN_RISE = 10


class Bucket(IntEnum):
    """Bucket widths; the numbers are those of ``stadskamer.contacts.v1.Bucket``."""

    HOUR = 1
    DAY = 2
    WEEK = 3

    @property
    def width(self) -> timedelta:
        """The bucket's length."""
        return _WIDTHS[self]


_WIDTHS = {
    Bucket.HOUR: timedelta(hours=1),
    Bucket.DAY: timedelta(days=1),
    Bucket.WEEK: timedelta(days=7),
}


@dataclass(frozen=True)
class Period:
    """Whole buckets counted back from ``end``: ``[end - count·width, end)``."""

    end: datetime
    bucket: Bucket
    count: int

    @property
    def start(self) -> datetime:
        """The start of the first bucket."""
        return self.end - self.count * self.bucket.width

    def bucket_starts(self) -> list[datetime]:
        """The start of every bucket, oldest first."""
        return [self.start + i * self.bucket.width for i in range(self.count)]


def plan_period(
    start: datetime | None, end: datetime | None, bucket: Bucket, now: datetime
) -> Period:
    """The period of a request: default the last 28 days, shortened to whole buckets."""
    end = end or now
    start = start or end - DEFAULT_PERIOD
    if start >= end:
        raise InvalidArgument.for_field("start_time", "must lie before end_time")
    count = (end - start) // bucket.width
    if count < 1:
        raise InvalidArgument.for_field("start_time", "the period must span at least one bucket")
    if count > MAX_BUCKETS:
        raise InvalidArgument.for_field("bucket", f"the period spans more than {MAX_BUCKETS}")
    return Period(end, bucket, count)


@dataclass(frozen=True)
class Rising:
    """The verdict of the rising rule with the figures behind it."""

    rising: bool
    baseline: float
    threshold: float


def rising_rule(counts: Sequence[int]) -> Rising:
    """Whether the latest bucket is significantly above the topic's own recent baseline.

    With ``latest = counts[-1]`` and ``mean`` and ``stddev`` (population) of up to 8 buckets
    before it, the threshold is ``max(mean + 2·stddev, 2·mean, mean + 10)``: two standard
    deviations above normal, and at least double and ten more than normal, so that small,
    noisy or weekly-rhythmic topics (a Monday after a quiet weekend) do not flicker. With
    fewer than 3 earlier buckets there is no baseline and nothing is rising (threshold 0).
    """
    previous = list(counts[-1 - BASELINE_BUCKETS : -1])
    if len(previous) < MIN_BASELINE_BUCKETS:
        return Rising(False, statistics.fmean(previous) if previous else 0.0, 0.0)
    mean = statistics.fmean(previous)
    spread = statistics.pstdev(previous)
    threshold = max(mean + 2 * spread, 2 * mean, mean + MIN_RISE)
    return Rising(counts[-1] >= threshold, mean, threshold)


@dataclass(frozen=True)
class CountRow:
    """Contacts of one topic in one bucket sharing channel, repeat and resolution flags."""

    topic: str
    bucket_index: int
    channel: Channel
    is_repeat: bool
    same_topic: bool
    resolved_first_time: bool
    count: int


@dataclass(frozen=True)
class ChannelCount:
    """One channel's part of a topic's contacts."""

    channel: Channel
    count: int
    share: float


@dataclass(frozen=True)
class TopicSignal:
    """One topic over a period."""

    topic: str
    counts: tuple[int, ...]
    total: int
    repeat_share: float
    same_topic_repeat_share: float
    resolved_first_time_share: float
    channel_mix: tuple[ChannelCount, ...]
    rising: Rising


def topic_signals(rows: Iterable[CountRow], bucket_count: int) -> list[TopicSignal]:
    """One signal per topic with contacts: rising first, then by latest bucket, then total."""
    grouped: dict[str, list[CountRow]] = defaultdict(list)
    for row in rows:
        if 0 <= row.bucket_index < bucket_count:
            grouped[row.topic].append(row)
    found = [_signal(topic, items, bucket_count) for topic, items in grouped.items()]
    return sorted(found, key=lambda s: (not s.rising.rising, -s.counts[-1], -s.total, s.topic))


def _signal(topic: str, rows: list[CountRow], bucket_count: int) -> TopicSignal:
    counts = [0] * bucket_count
    channels: dict[Channel, int] = defaultdict(int)
    repeats = same_topic = resolved = 0
    for row in rows:
        counts[row.bucket_index] += row.count
        channels[row.channel] += row.count
        repeats += row.count if row.is_repeat else 0
        same_topic += row.count if row.is_repeat and row.same_topic else 0
        resolved += row.count if row.resolved_first_time else 0
    total = sum(counts)
    mix = sorted(channels.items(), key=lambda item: (-item[1], item[0]))
    return TopicSignal(
        topic=topic,
        counts=tuple(counts),
        total=total,
        repeat_share=repeats / total,
        same_topic_repeat_share=same_topic / total,
        resolved_first_time_share=resolved / total,
        channel_mix=tuple(ChannelCount(c, n, n / total) for c, n in mix),
        rising=rising_rule(counts),
    )
