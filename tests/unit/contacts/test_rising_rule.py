"""The rising rule: latest bucket against the topic's own recent baseline."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.contacts.signals import rising_rule


def test_a_steep_climb_is_rising() -> None:
    verdict = rising_rule([20, 22, 19, 21, 20, 23, 18, 21, 60])
    assert verdict.rising
    assert 20 < verdict.baseline < 21
    assert verdict.threshold < 60


def test_normal_variation_is_not_rising() -> None:
    assert not rising_rule([20, 22, 19, 21, 20, 23, 18, 21, 26]).rising


def test_small_topics_need_ten_more_than_normal() -> None:
    verdict = rising_rule([0, 1, 0, 0, 1, 0, 0, 0, 10])
    assert not verdict.rising
    assert verdict.threshold == pytest.approx(10.25)
    assert rising_rule([0, 1, 0, 0, 1, 0, 0, 0, 11]).rising


def test_a_noisy_topic_needs_two_standard_deviations() -> None:
    counts = [10, 50, 10, 50, 10, 50, 10, 50]
    assert not rising_rule([*counts, 65]).rising  # mean 30, stddev 20: threshold 70
    assert rising_rule([*counts, 70]).rising


def test_at_least_double_the_mean() -> None:
    flat = [100] * 8
    assert rising_rule([*flat, 200]).threshold == 200
    assert rising_rule([*flat, 200]).rising
    assert not rising_rule([*flat, 199]).rising


def test_a_weekday_after_a_quiet_weekend_is_not_rising() -> None:
    assert not rising_rule([14, 13, 15, 3, 2, 14, 12, 15, 16]).rising


def test_too_few_buckets_means_no_baseline() -> None:
    verdict = rising_rule([1, 2, 100])
    assert not verdict.rising
    assert verdict.threshold == 0.0
    assert not rising_rule([]).rising


def test_only_the_last_eight_buckets_form_the_baseline() -> None:
    old_peak = [500, 500, 500]
    assert rising_rule([*old_peak, 10, 10, 10, 10, 10, 10, 10, 10, 40]).rising


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=3, max_value=20))
def test_a_flat_series_never_rises(level: int, length: int) -> None:
    assert not rising_rule([level] * (length + 1)).rising


@given(
    st.lists(st.integers(min_value=0, max_value=1000), min_size=4, max_size=20),
    st.integers(min_value=0, max_value=1000),
)
def test_more_in_the_latest_bucket_never_stops_a_rise(counts: list[int], extra: int) -> None:
    if rising_rule(counts).rising:
        assert rising_rule([*counts[:-1], counts[-1] + extra]).rising


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=4, max_size=20))
def test_rising_means_reaching_the_threshold(counts: list[int]) -> None:
    verdict = rising_rule(counts)
    assert verdict.rising == (counts[-1] >= verdict.threshold)
    assert verdict.threshold >= verdict.baseline + 10
