"""The panel sampler on synthetic panels: targets met as far as possible, shortfalls reported."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from stadskamer.surveys.sampler import Candidate, Target, draw_sample, seat_counts

AGES = ["FROM_18_TO_29", "FROM_30_TO_44", "FROM_45_TO_64", "FROM_65_TO_74", "FROM_75"]
SKILLS = ["LOW", "MEDIUM", "HIGH"]


def panel(ages: list[str], skills: list[str]) -> list[Candidate]:
    """Candidates with the given strata, pairwise."""
    return [
        Candidate(f"m{i}", {"age_band": a, "digital_skills": s, "district": "west"})
        for i, (a, s) in enumerate(zip(ages, skills, strict=False))
    ]


@given(st.integers(0, 500), st.lists(st.floats(0.01, 1.0), min_size=1, max_size=5))
def test_seat_counts_add_up_to_the_size_and_follow_the_shares(size: int, raw: list[float]) -> None:
    total = sum(raw)
    shares = [share / total for share in raw] if total > 1 else raw
    seats = seat_counts(size, shares)
    assert sum(seats) == size
    for share, count in zip(shares, seats, strict=False):
        assert abs(count - share * size) < 1 + 1e-9


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(AGES), min_size=1, max_size=120),
    st.integers(1, 60),
    st.sampled_from(AGES),
    st.floats(0.05, 1.0),
    st.integers(0, 10_000),
)
def test_one_dimension_targets_are_met_when_the_panel_has_enough(
    ages: list[str], size: int, age: str, share: float, seed: int
) -> None:
    candidates = panel(ages, ["HIGH"] * len(ages))
    target = Target("age_band", age, share)
    sample = draw_sample(candidates, size, [target], random.Random(seed))
    [outcome] = sample.strata
    drawn_ids = [c.id for c in sample.drawn]
    assert len(drawn_ids) == len(set(drawn_ids)) <= size
    others = sum(1 for a in ages if a != age)
    rest = size - outcome.target_count
    assert outcome.available == ages.count(age)
    assert outcome.drawn == min(outcome.target_count, outcome.available)
    assert outcome.shortfall == outcome.target_count - outcome.drawn
    assert len(sample.drawn) == outcome.drawn + min(rest, others)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(AGES), st.sampled_from(SKILLS)), max_size=150),
    st.integers(1, 80),
    st.floats(0.05, 0.6),
    st.floats(0.05, 0.6),
    st.booleans(),
    st.integers(0, 10_000),
)
def test_two_dimension_draws_never_exceed_a_target_and_report_each_shortfall(
    people: list[tuple[str, str]],
    size: int,
    old_share: float,
    low_share: float,
    fill: bool,
    seed: int,
) -> None:
    candidates = panel([a for a, _ in people], [s for _, s in people])
    targets = [Target("age_band", "FROM_75", old_share), Target("digital_skills", "LOW", low_share)]
    sample = draw_sample(candidates, size, targets, random.Random(seed), fill_shortfall=fill)
    assert len({c.id for c in sample.drawn}) == len(sample.drawn) <= size
    for outcome in sample.strata:
        assert outcome.shortfall == max(0, outcome.target_count - outcome.drawn)
        if not fill:
            assert outcome.drawn <= outcome.target_count
        assert outcome.drawn <= outcome.available
    if fill:
        assert len(sample.drawn) == min(size, len(candidates))


def test_a_refused_candidate_is_never_drawn_and_the_draw_goes_on() -> None:
    candidates = panel(["FROM_75"] * 6 + ["FROM_18_TO_29"] * 6, ["LOW"] * 12)
    refused = {"m0", "m1"}
    sample = draw_sample(
        candidates,
        6,
        [Target("age_band", "FROM_75", 0.5)],
        random.Random(3),
        confirm=lambda c: c.id not in refused,
    )
    drawn = {c.id for c in sample.drawn}
    assert len(drawn) == 6 and not drawn & refused
    assert {c.id for c in sample.refused} <= refused
    [outcome] = sample.strata
    assert outcome.drawn == 3 and outcome.shortfall == 0


def test_the_same_seed_draws_the_same_sample() -> None:
    candidates = panel(AGES * 20, SKILLS * 40)
    targets = [Target("digital_skills", "LOW", 0.3)]
    first = draw_sample(candidates, 25, targets, random.Random(42))
    second = draw_sample(candidates, 25, targets, random.Random(42))
    assert [c.id for c in first.drawn] == [c.id for c in second.drawn]
