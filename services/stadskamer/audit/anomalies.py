"""The privacy officer's report: use per actor and purpose, and unusual readers. Plain Python.

Unusual access: an actor that read the history of far more distinct citizens than its peers
in the period. For every actor with at least one history read (a record whose operation name
matches one of ``operations`` and that names a subject), ``d`` is the number of distinct
subjects it read. An actor is flagged when

    d > max(factor × median(peers), median(peers) + factor × MAD(peers), minimum)

where the peers are all *other* actors with history reads, MAD is the median absolute
deviation of their ``d`` from that median, ``factor`` is 3 and ``minimum`` 20 by default. The
three terms guard against each other's blind spots: the ratio catches an actor far above
quiet peers, the MAD term catches one far outside a widely spread group, and the minimum keeps
a small team (or an actor without peers) from being flagged for a handful of citizens.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from statistics import median

from stadskamer.audit.domain import LogRecord

HISTORY_OPERATIONS = ("history.*", "*.history", "*.history.*")
FACTOR = 3.0
MINIMUM = 20


@dataclass(frozen=True)
class Usage:
    """How often an actor processed data for a purpose, and for how many distinct subjects."""

    actor: str
    purpose: str
    records: int
    subjects: int


@dataclass(frozen=True)
class Flag:
    """An actor that read the history of unusually many distinct citizens."""

    actor: str
    subjects: int
    threshold: float
    peer_median: float
    peer_mad: float


def usage(records: Iterable[LogRecord]) -> list[Usage]:
    """Counts per (actor, purpose), sorted by actor then purpose."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    subjects: dict[tuple[str, str], set[bytes]] = defaultdict(set)
    for record in records:
        key = (record.entry.actor, record.entry.purpose)
        counts[key] += 1
        if record.subject:
            subjects[key].add(record.subject)
    return [Usage(a, p, counts[(a, p)], len(subjects[(a, p)])) for a, p in sorted(counts)]


def distinct_history_subjects(
    records: Iterable[LogRecord], operations: tuple[str, ...] = HISTORY_OPERATIONS
) -> dict[str, int]:
    """Per actor, the number of distinct subjects whose history it read."""
    read: dict[str, set[bytes]] = defaultdict(set)
    for record in records:
        name = record.entry.name
        if record.subject and any(fnmatchcase(name, pattern) for pattern in operations):
            read[record.entry.actor].add(record.subject)
    return {actor: len(subjects) for actor, subjects in read.items()}


def unusual_readers(
    distinct: dict[str, int], factor: float = FACTOR, minimum: int = MINIMUM
) -> list[Flag]:
    """The actors the rule of the module docstring flags, most subjects first."""
    flags = []
    for actor, count in distinct.items():
        peers = [n for other, n in distinct.items() if other != actor]
        middle = float(median(peers)) if peers else 0.0
        mad = float(median(abs(n - middle) for n in peers)) if peers else 0.0
        threshold = max(factor * middle, middle + factor * mad, float(minimum))
        if count > threshold:
            flags.append(Flag(actor, count, threshold, middle, mad))
    return sorted(flags, key=lambda f: (-f.subjects, f.actor))
