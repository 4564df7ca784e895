""" "You said, we did": improvement actions, the signals behind them, the public top 5.

Plain Python. An improvement belongs to a quarter (``2026-Q4``) and names the signals that led
to it (aspects, topics, org units) and how many signals that were. The public list of a
quarter ranks by that signal count, highest first (what most people told us comes first),
then by the time it was recorded, earliest first, then by id; the first five are published.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import IntEnum

from stadskamer.surveys.inputs import (
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    REQUEST_ID,
    Violation,
    code_violations,
    text_violations,
)

IMPROVEMENT_PREFIX = "improvements/"
QUARTER = re.compile(r"^(20[0-9]{2})-Q([1-4])$")
TOP = 5
MAX_SIGNALS = 20


class SignalKind(IntEnum):
    """The kind of a linked signal (numbers of ``SignalKind``)."""

    ASPECT = 1
    TOPIC = 2
    ORG_UNIT = 3


@dataclass(frozen=True)
class Signal:
    """One linked signal: an aspect, topic or org unit code."""

    kind: SignalKind
    value: str


@dataclass(frozen=True)
class ImprovementDraft:
    """An improvement as recorded; the signal kinds as given (0: not given)."""

    request_id: str
    quarter: str
    title: str
    description: str
    signals: tuple[tuple[int, str], ...]
    signal_count: int


@dataclass(frozen=True)
class Improvement:
    """One improvement action; ``rank`` is set in a ranked list (0: outside the top)."""

    id: str
    quarter: str
    title: str
    description: str
    signals: tuple[Signal, ...]
    signal_count: int
    created_at: datetime
    rank: int = 0

    @property
    def name(self) -> str:
        """The resource name ``improvements/{id}``."""
        return IMPROVEMENT_PREFIX + self.id


def quarter_violations(field: str, quarter: str) -> Iterator[Violation]:
    """A quarter like ``2026-Q4``."""
    if not QUARTER.match(quarter):
        yield field, "required: a quarter like 2026-Q4"


def draft_violations(draft: ImprovementDraft) -> Iterator[Violation]:
    """Shape checks of an improvement."""
    if not REQUEST_ID.match(draft.request_id):
        yield "request_id", "required: 1-128 printable ASCII characters without spaces"
    yield from quarter_violations("quarter", draft.quarter)
    yield from text_violations("title", draft.title, MAX_TITLE_CHARS, True)
    yield from text_violations("description", draft.description, MAX_TEXT_CHARS, True)
    if not 1 <= len(draft.signals) <= MAX_SIGNALS:
        yield "signals", f"required: 1 to {MAX_SIGNALS} signals"
    for index, (kind, value) in enumerate(draft.signals):
        if kind not in SignalKind.__members__.values():
            yield f"signals[{index}].kind", "required: a SignalKind value"
        yield from code_violations(f"signals[{index}].value", value)
    if draft.signal_count < 1:
        yield "signal_count", "required: at least 1"


def signals_of(draft: ImprovementDraft) -> tuple[Signal, ...]:
    """The signals of a valid draft, without repeats, in the order given."""
    found: list[Signal] = []
    for kind, value in draft.signals:
        signal = Signal(SignalKind(kind), value)
        if signal not in found:
            found.append(signal)
    return tuple(found)


def ranked(improvements: Sequence[Improvement]) -> list[Improvement]:
    """All improvements of a quarter in public order, the first :data:`TOP` with their rank."""
    ordered = sorted(improvements, key=lambda i: (-i.signal_count, i.created_at, i.id))
    return [replace(i, rank=n + 1 if n < TOP else 0) for n, i in enumerate(ordered)]
