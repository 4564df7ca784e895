"""The complaint register, stored with SQLAlchemy Core.

Rows hold the sealed texts; the service opens them. Every change of a complaint first bumps
its ``revision`` (:meth:`ComplaintRepository.lock`): on PostgreSQL that takes the row lock, on
SQLite the database write lock, before anything is read, so concurrent changes serialise and
each sees the other's result. Inserting a complaint with a known request digest raises
:class:`DuplicateRequest`, on which the caller rolls back and reads the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadskamer.common.outbox import OutboxEvent
from stadskamer.complaints.adapters import records
from stadskamer.complaints.adapters.orm import (
    assignments,
    case_counters,
    complaints,
    outbox,
    spent_grants,
)
from stadskamer.complaints.adapters.records import AssignmentRecord, ComplaintRecord
from stadskamer.complaints.domain import OPEN_STATUSES, Status
from stadskamer.complaints.stats import StatsRow

_c = complaints.c


class DuplicateRequest(Exception):
    """A complaint with this request digest (or a concurrent first case number) exists."""


@dataclass(frozen=True)
class Cursor:
    """The last complaint of a page: the next page continues strictly after it."""

    received_at_us: int
    id: str


@dataclass(frozen=True)
class ComplaintFilter:
    """What ListComplaints selects. ``statuses`` None: any; due bounds are inclusive.

    ``subject``: only this klachten pseudonym. ``received_from``: only complaints received
    then or later, and with ``or_open`` also the open ones (RECEIVED, IN_HANDLING) before it.
    """

    statuses: frozenset[Status] | None = None
    coordinator: str = ""
    org_unit: str = ""
    due_column: str = "callback_due"
    due_from: date | None = None
    due_until: date | None = None
    subject: bytes | None = None
    received_from: datetime | None = None
    or_open: bool = False


class ComplaintRepository:
    """Read and write complaints within a unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def next_case_number(self, year: int) -> int:
        """Take the next number of ``year``: an atomic increment, written before any read."""
        counter = case_counters.c
        increment = (
            update(case_counters)
            .where(counter.year == year)
            .values(last_number=counter.last_number + 1)
            .returning(counter.last_number)
        )
        number = self._session.execute(increment).scalar_one_or_none()
        if number is not None:
            return int(number)
        try:
            self._session.execute(insert(case_counters).values(year=year, last_number=1))
        except IntegrityError:
            raise DuplicateRequest("the year's counter was created concurrently") from None
        return 1

    def add(self, record: ComplaintRecord) -> None:
        """Insert a new complaint; DuplicateRequest when its request digest is taken."""
        try:
            self._session.execute(insert(complaints).values(records.values(record, revision=1)))
        except IntegrityError:
            raise DuplicateRequest("request digest or case number taken") from None

    def lock(self, complaint_id: str) -> bool:
        """Bump the revision (taking the write lock); False when there is no such complaint."""
        result = self._session.execute(
            update(complaints)
            .where(_c.id == complaint_id)
            .values(revision=_c.revision + 1)
            .returning(_c.id)
        )
        return result.first() is not None

    def update(self, record: ComplaintRecord) -> None:
        """Write the changeable columns of a locked complaint."""
        values = records.values(record)
        fixed = (
            "id",
            "case_number",
            "request_digest",
            "subject_pseudonym",
            "subject_reference",
            "created_at_us",
        )
        for column in (*fixed, "contact_reference", "contact_sealed"):
            values.pop(column)
        self._session.execute(update(complaints).where(_c.id == record.complaint.id).values(values))

    def get(self, complaint_id: str) -> ComplaintRecord | None:
        """One complaint by id."""
        return self._one(_c.id == complaint_id)

    def by_request_digest(self, digest: bytes) -> ComplaintRecord | None:
        """The complaint filed with the request id of this keyed digest."""
        return self._one(_c.request_digest == digest)

    def by_case_number(self, case_number: str) -> ComplaintRecord | None:
        """The complaint with ``case_number``."""
        return self._one(_c.case_number == case_number)

    def _one(self, condition: Any) -> ComplaintRecord | None:
        row = self._session.execute(select(complaints).where(condition)).first()
        return records.from_row(row) if row is not None else None

    def add_assignment(self, complaint_id: str, record: AssignmentRecord) -> None:
        """Append to the assignment history."""
        self._session.execute(
            insert(assignments).values(
                complaint_id=complaint_id,
                sequence=record.sequence,
                coordinator=record.coordinator,
                reason_sealed=record.reason_sealed,
                assigned_by=record.assigned_by,
                assigned_at_us=records.to_us(record.assigned_at),
            )
        )

    def spend_grant(self, grant_id: str, expires_at: datetime, now: datetime) -> bool:
        """Record that a read was made under ``grant_id``; False when one was before. Grants
        past their expiry are forgotten first (they open nothing any more)."""
        self._session.execute(
            delete(spent_grants).where(spent_grants.c.expires_at_us < records.to_us(now))
        )
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(spent_grants).values(
                        grant_id=grant_id, expires_at_us=records.to_us(expires_at)
                    )
                )
        except IntegrityError:
            return False
        return True

    def subject_reference(self, complaint_id: str) -> bytes | None:
        """The stored reference of a complaint's complainant, if it has one."""
        value = self._session.execute(
            select(_c.subject_reference).where(_c.id == complaint_id)
        ).scalar_one_or_none()
        return None if value is None else bytes(value)

    def add_event(self, event: OutboxEvent) -> None:
        """Write an event into the outbox, in this transaction."""
        outbox.add(self._session, event)

    def assignments(self, complaint_id: str) -> list[AssignmentRecord]:
        """The history of one complaint, oldest first."""
        a = assignments.c
        rows = self._session.execute(
            select(assignments).where(a.complaint_id == complaint_id).order_by(a.sequence)
        )
        return [
            AssignmentRecord(
                r.sequence,
                r.coordinator,
                r.reason_sealed,
                r.assigned_by,
                records.from_us(r.assigned_at_us),
            )
            for r in rows
        ]

    def page(
        self, selection: ComplaintFilter, after: Cursor | None, limit: int
    ) -> list[ComplaintRecord]:
        """Up to ``limit`` complaints after ``after``, oldest receipt first."""
        conditions: list[Any] = []
        if selection.statuses is not None:
            conditions.append(_c.status.in_([s.name for s in selection.statuses]))
        if selection.coordinator:
            conditions.append(_c.coordinator == selection.coordinator)
        if selection.org_unit:
            conditions.append(_c.org_unit == selection.org_unit)
        due = _c[selection.due_column]
        if selection.due_from is not None:
            conditions.append(due >= selection.due_from)
        if selection.due_until is not None:
            conditions.append(due <= selection.due_until)
        if selection.subject is not None:
            conditions.append(_c.subject_pseudonym == selection.subject)
        if selection.received_from is not None:
            since = _c.received_at_us >= records.to_us(selection.received_from)
            still_open = _c.status.in_([s.name for s in OPEN_STATUSES])
            conditions.append(or_(since, still_open) if selection.or_open else since)
        if after is not None:
            conditions.append(
                or_(
                    _c.received_at_us > after.received_at_us,
                    and_(_c.received_at_us == after.received_at_us, _c.id > after.id),
                )
            )
        query = (
            select(complaints).where(*conditions).order_by(_c.received_at_us, _c.id).limit(limit)
        )
        return [records.from_row(row) for row in self._session.execute(query)]

    def stats_rows(self, start: datetime, end: datetime) -> list[StatsRow]:
        """The facts the figures need, of the complaints received in [start, end)."""
        query = select(
            _c.org_unit,
            _c.outcome,
            _c.received_at_us,
            _c.callback_due,
            _c.callback_at_us,
            _c.decided_at_us,
            _c.withdrawn_at_us,
        ).where(_c.received_at_us >= records.to_us(start), _c.received_at_us < records.to_us(end))
        return [
            StatsRow(
                org_unit=r.org_unit,
                outcome=records.outcome(r.outcome),
                received_at=records.from_us(r.received_at_us),
                callback_due=r.callback_due,
                callback_at=records.optional_time(r.callback_at_us),
                decided_at=records.optional_time(r.decided_at_us),
                withdrawn_at=records.optional_time(r.withdrawn_at_us),
            )
            for r in self._session.execute(query)
        ]
