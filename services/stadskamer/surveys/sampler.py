"""Drawing a panel sample that meets target shares per stratum as far as the panel allows.

Plain Python. A target gives a share of the sample to one stratum (a value of one dimension:
age band, district, preferred channel or digital skills). Per dimension, the shares become
seat counts by largest-remainder rounding of ``share × size``; the seats of a dimension that
no target claims go to its *other* strata together. A candidate fits while, in every
dimension, the bucket it falls in (its targeted stratum, or *other*) has a seat left.

The draw is greedy: candidates are shuffled with the given random generator (seedable, so a
draw can be reproduced), then repeatedly the fitting candidate that serves the scarcest
buckets is taken — the bucket whose remaining seats are largest relative to the fitting
candidates that can still fill it. Each pick is confirmed by ``confirm`` (the consent check);
a candidate it refuses is dropped and never drawn. When no fitting candidate is left the
targets of the unfilled strata show a shortfall; with ``fill_shortfall`` the remaining seats
are filled from the other candidates at random, exceeding other targets.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

DIMENSIONS = ("age_band", "district", "preferred_channel", "digital_skills")
OTHER = ""
Bucket = tuple[str, str]
EVERYONE: Bucket = ("*", OTHER)
_SCAN = 64


@dataclass(frozen=True)
class Target:
    """The target share of one stratum: ``dimension`` has ``value``."""

    dimension: str
    value: str
    share: float


@dataclass(frozen=True)
class Candidate:
    """A member who may be drawn, with a value per dimension."""

    id: str
    strata: Mapping[str, str]


@dataclass(frozen=True)
class StratumOutcome:
    """How the sample met one target."""

    target: Target
    target_count: int
    drawn: int
    available: int

    @property
    def shortfall(self) -> int:
        """Seats the stratum could not fill."""
        return max(0, self.target_count - self.drawn)


@dataclass(frozen=True)
class Sample:
    """The drawn candidates (in draw order), the outcome per target and the refused ones."""

    drawn: list[Candidate]
    strata: list[StratumOutcome]
    refused: list[Candidate]


def seat_counts(size: int, shares: Sequence[float]) -> list[int]:
    """Largest-remainder seats of ``size`` for ``shares`` plus the rest ("other") at the end."""
    rest = max(0.0, 1.0 - sum(shares))
    exact = [share * size for share in (*shares, rest)]
    seats = [int(value) for value in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - seats[i]), i))
    for index in order[: size - sum(seats)]:
        seats[index] += 1
    return seats


def _quotas(size: int, targets: Sequence[Target]) -> dict[Bucket, int]:
    quotas: dict[Bucket, int] = {EVERYONE: size}
    for dimension in DIMENSIONS:
        mine = [t for t in targets if t.dimension == dimension]
        if not mine:
            continue
        seats = seat_counts(size, [t.share for t in mine])
        for target, count in zip(mine, seats, strict=False):
            quotas[(dimension, target.value)] = count
        quotas[(dimension, OTHER)] = seats[-1]
    return quotas


def _buckets(candidate: Candidate, quotas: Mapping[Bucket, int]) -> list[Bucket]:
    found = [EVERYONE]
    for dimension in DIMENSIONS:
        if (dimension, OTHER) in quotas:
            value = candidate.strata.get(dimension, "")
            found.append((dimension, value if (dimension, value) in quotas else OTHER))
    return found


class _Draw:
    """The state of one greedy draw: seats left, and the fitting candidates per bucket."""

    def __init__(self, pool: Sequence[Candidate], quotas: dict[Bucket, int]) -> None:
        self.remaining = quotas
        self.buckets = {c.id: _buckets(c, quotas) for c in pool}
        self.members: dict[Bucket, list[Candidate]] = {b: [] for b in quotas}
        for candidate in pool:
            for bucket in self.buckets[candidate.id]:
                self.members[bucket].append(candidate)
        self.fitting = {c.id for c in pool if all(quotas[b] > 0 for b in self.buckets[c.id])}
        self.supply = {
            b: sum(1 for c in m if c.id in self.fitting) for b, m in self.members.items()
        }

    def _need(self, bucket: Bucket) -> float:
        return self.remaining[bucket] / self.supply[bucket] if self.supply[bucket] else 0.0

    def next(self) -> Candidate | None:
        """The fitting candidate serving the scarcest buckets, or None when none fits."""
        open_buckets = [b for b in self.remaining if self.remaining[b] > 0 and self.supply[b]]
        if not open_buckets:
            return None
        members = self.members[max(open_buckets, key=self._need)]
        gone = 0
        while members[gone].id not in self.fitting:
            gone += 1
        del members[:gone]
        head: list[Candidate] = []
        for candidate in members:
            if candidate.id in self.fitting:
                head.append(candidate)
                if len(head) == _SCAN:
                    break
        return max(head, key=lambda c: sum(self._need(b) for b in self.buckets[c.id]))

    def remove(self, candidate: Candidate) -> None:
        """Take a candidate out of the pool (drawn or refused)."""
        if candidate.id in self.fitting:
            self.fitting.discard(candidate.id)
            for bucket in self.buckets[candidate.id]:
                self.supply[bucket] -= 1

    def take(self, candidate: Candidate) -> None:
        """Give a drawn candidate its seats; members of buckets now full stop fitting."""
        self.remove(candidate)
        for bucket in self.buckets[candidate.id]:
            self.remaining[bucket] -= 1
            if self.remaining[bucket] == 0:
                for other in self.members[bucket]:
                    self.remove(other)


def draw_sample(
    candidates: Sequence[Candidate],
    size: int,
    targets: Sequence[Target],
    rng: random.Random,
    confirm: Callable[[Candidate], bool] = lambda _: True,
    fill_shortfall: bool = False,
) -> Sample:
    """Draw up to ``size`` candidates meeting ``targets`` (see the module docstring)."""
    pool = list(candidates)
    rng.shuffle(pool)
    state = _Draw(pool, _quotas(size, targets))
    drawn: list[Candidate] = []
    refused: list[Candidate] = []
    seen: set[str] = set()
    while len(drawn) < size:
        chosen = state.next()
        if chosen is None:
            break
        seen.add(chosen.id)
        if confirm(chosen):
            state.take(chosen)
            drawn.append(chosen)
        else:
            state.remove(chosen)
            refused.append(chosen)
    for candidate in pool:
        if not fill_shortfall or len(drawn) >= size:
            break
        if candidate.id not in seen:
            (drawn if confirm(candidate) else refused).append(candidate)
    gone = {c.id for c in refused}
    eligible = [c for c in pool if c.id not in gone]
    return Sample(drawn, _outcomes(size, targets, eligible, drawn), refused)


def _outcomes(
    size: int,
    targets: Sequence[Target],
    eligible: Sequence[Candidate],
    drawn: Sequence[Candidate],
) -> list[StratumOutcome]:
    quotas = _quotas(size, targets)
    return [
        StratumOutcome(
            t,
            quotas[(t.dimension, t.value)],
            sum(1 for c in drawn if c.strata.get(t.dimension) == t.value),
            sum(1 for c in eligible if c.strata.get(t.dimension) == t.value),
        )
        for t in targets
    ]
