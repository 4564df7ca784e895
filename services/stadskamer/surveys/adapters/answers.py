"""Answers, call-back tasks and the facts the insights need, stored with SQLAlchemy Core.

Texts, and the name of a task's consent, stay sealed here; the use cases open them.
Call-back task pages are keyset-paginated on (creation time, id), oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from stadskamer.surveys.adapters.orm import callback_tasks, invitations, responses
from stadskamer.surveys.adapters.records import context_of, from_us, optional_time, to_us
from stadskamer.surveys.insights import InsightRow

_t, _r, _i = callback_tasks.c, responses.c, invitations.c
OPEN, DONE = "OPEN", "DONE"


@dataclass(frozen=True)
class ResponseRecord:
    """An answer as stored, its texts sealed."""

    invitation_id: str
    score: int
    aspect: str
    good_sealed: bytes
    better_sealed: bytes
    may_call_back: bool
    submitted_at: datetime


@dataclass(frozen=True)
class TaskRecord:
    """A call-back task with what the caller needs, texts and reference still sealed."""

    id: str
    invitation_id: str
    org_unit: str
    consent_sealed: bytes
    state: str
    created_at: datetime
    completed_at: datetime | None
    score: int
    aspect: str
    good_sealed: bytes
    better_sealed: bytes
    reference_sealed: bytes | None
    subject: bytes


class AnswerRepository:
    """Read and write answers and call-back tasks within a unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_response(self, record: ResponseRecord) -> None:
        """Store an answer (its invitation's token was claimed in this transaction)."""
        self._session.execute(
            insert(responses).values(
                invitation_id=record.invitation_id,
                score=record.score,
                aspect=record.aspect,
                good_sealed=record.good_sealed,
                better_sealed=record.better_sealed,
                may_call_back=record.may_call_back,
                submitted_at_us=to_us(record.submitted_at),
            )
        )

    def add_task(
        self, task_id: str, invitation_id: str, org_unit: str, consent_sealed: bytes, now: datetime
    ) -> None:
        """Open a call-back task (with the sealed name of its consent)."""
        self._session.execute(
            insert(callback_tasks).values(
                id=task_id,
                invitation_id=invitation_id,
                org_unit=org_unit,
                consent_sealed=consent_sealed,
                state=OPEN,
                created_at_us=to_us(now),
            )
        )

    def complete_task(self, task_id: str, now: datetime) -> bool:
        """Mark an open task done; False when there is no such open task."""
        result = self._session.execute(
            update(callback_tasks)
            .where(_t.id == task_id, _t.state == OPEN)
            .values(state=DONE, completed_at_us=to_us(now))
        )
        return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]

    def _tasks(self) -> Any:
        return select(
            callback_tasks,
            _r.score,
            _r.aspect,
            _r.good_sealed,
            _r.better_sealed,
            _i.source_reference_sealed,
            _i.subject_pseudonym,
        ).select_from(
            callback_tasks.join(responses, _r.invitation_id == _t.invitation_id).join(
                invitations, _i.id == _t.invitation_id
            )
        )

    def task(self, task_id: str) -> TaskRecord | None:
        """One task by id."""
        row = self._session.execute(self._tasks().where(_t.id == task_id)).first()
        return _task(row) if row is not None else None

    def open_tasks(
        self, org_unit: str, after: tuple[int, str] | None, limit: int
    ) -> list[TaskRecord]:
        """Up to ``limit`` open tasks of ``org_unit`` after the position ``after``."""
        conditions = [_t.org_unit == org_unit, _t.state == OPEN]
        if after is not None:
            created, identifier = after
            conditions.append(
                or_(
                    _t.created_at_us > created,
                    and_(_t.created_at_us == created, _t.id > identifier),
                )
            )
        query = self._tasks().where(*conditions).order_by(_t.created_at_us, _t.id).limit(limit)
        return [_task(row) for row in self._session.execute(query)]

    def insight_rows(self, start: datetime, end: datetime) -> list[InsightRow]:
        """The delivered invitations created in [start, end) and their answers."""
        query = (
            select(invitations, _r.score, _r.aspect)
            .select_from(invitations.outerjoin(responses, _r.invitation_id == _i.id))
            .where(
                _i.created_at_us >= to_us(start),
                _i.created_at_us < to_us(end),
                _i.delivered_at_us.is_not(None),
            )
        )
        return [
            InsightRow(context_of(row), row.score, row.aspect or "")
            for row in self._session.execute(query)
        ]


def _task(row: Any) -> TaskRecord:
    reference = row.source_reference_sealed
    return TaskRecord(
        id=row.id,
        invitation_id=row.invitation_id,
        org_unit=row.org_unit,
        consent_sealed=bytes(row.consent_sealed),
        state=row.state,
        created_at=from_us(row.created_at_us),
        completed_at=optional_time(row.completed_at_us),
        score=int(row.score),
        aspect=row.aspect,
        good_sealed=bytes(row.good_sealed),
        better_sealed=bytes(row.better_sealed),
        reference_sealed=bytes(reference) if reference is not None else None,
        subject=bytes(row.subject_pseudonym),
    )
