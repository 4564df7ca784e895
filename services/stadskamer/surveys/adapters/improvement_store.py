"""Improvement actions and their linked signals, stored with SQLAlchemy Core (texts sealed,
the request_id as its keyed digest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadskamer.surveys.adapters.orm import improvement_signals, improvements
from stadskamer.surveys.adapters.records import from_us, to_us
from stadskamer.surveys.improvements import Improvement, Signal, SignalKind

_m, _s = improvements.c, improvement_signals.c


class DuplicateImprovement(Exception):
    """An improvement with this request digest exists already."""


@dataclass(frozen=True)
class ImprovementRecord:
    """An improvement as stored: ``improvement`` has empty texts; they are sealed."""

    improvement: Improvement
    request_digest: bytes
    title_sealed: bytes
    description_sealed: bytes
    created_by: str


class ImprovementRepository:
    """Read and write improvements within a unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: ImprovementRecord) -> None:
        """Insert an improvement and its signals; DuplicateImprovement for a known request
        digest."""
        item = record.improvement
        try:
            self._session.execute(
                insert(improvements).values(
                    id=item.id,
                    request_digest=record.request_digest,
                    quarter=item.quarter,
                    title_sealed=record.title_sealed,
                    description_sealed=record.description_sealed,
                    signal_count=item.signal_count,
                    created_at_us=to_us(item.created_at),
                    created_by=record.created_by,
                )
            )
        except IntegrityError:
            raise DuplicateImprovement(item.id) from None
        for position, signal in enumerate(item.signals):
            self._session.execute(
                insert(improvement_signals).values(
                    improvement_id=item.id,
                    position=position,
                    kind=signal.kind.name,
                    value=signal.value,
                )
            )

    def by_request_digest(self, digest: bytes) -> ImprovementRecord | None:
        """The improvement recorded with the request id of this keyed digest."""
        found = self._select(_m.request_digest == digest)
        return found[0] if found else None

    def of_quarter(self, quarter: str) -> list[ImprovementRecord]:
        """Every improvement of a quarter."""
        return self._select(_m.quarter == quarter)

    def _select(self, condition: Any) -> list[ImprovementRecord]:
        rows = list(self._session.execute(select(improvements).where(condition)))
        signals: dict[str, list[Signal]] = {row.id: [] for row in rows}
        if rows:
            for signal in self._session.execute(
                select(improvement_signals)
                .where(_s.improvement_id.in_(list(signals)))
                .order_by(_s.improvement_id, _s.position)
            ):
                signals[signal.improvement_id].append(Signal(SignalKind[signal.kind], signal.value))
        return [
            ImprovementRecord(
                Improvement(
                    id=row.id,
                    quarter=row.quarter,
                    title="",
                    description="",
                    signals=tuple(signals[row.id]),
                    signal_count=row.signal_count,
                    created_at=from_us(row.created_at_us),
                ),
                bytes(row.request_digest),
                bytes(row.title_sealed),
                bytes(row.description_sealed),
                row.created_by,
            )
            for row in rows
        ]
