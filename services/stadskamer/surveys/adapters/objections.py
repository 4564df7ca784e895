"""Objections to surveys (AVG art. 21), one row per citizen, stored with SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadskamer.surveys.adapters.orm import objections
from stadskamer.surveys.adapters.records import from_us, optional_time, to_us
from stadskamer.surveys.domain import Objection

_o = objections.c


class ObjectionRepository:
    """Record, read and withdraw objections within a unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, subject: bytes) -> Objection | None:
        """The citizen's objection, in force or withdrawn."""
        row = self._session.execute(
            select(objections).where(_o.subject_pseudonym == subject)
        ).first()
        if row is None:
            return None
        return Objection(from_us(row.objected_at_us), optional_time(row.withdrawn_at_us))

    def record(self, subject: bytes, now: datetime) -> bool:
        """Put an objection in force; False when one was in force already (nothing changes)."""
        revived = self._session.execute(
            update(objections)
            .where(_o.subject_pseudonym == subject, _o.withdrawn_at_us.is_not(None))
            .values(objected_at_us=to_us(now), withdrawn_at_us=None)
        )
        if int(revived.rowcount or 0) == 1:  # type: ignore[attr-defined]
            return True
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(objections).values(subject_pseudonym=subject, objected_at_us=to_us(now))
                )
        except IntegrityError:
            return False
        return True

    def withdraw(self, subject: bytes, now: datetime) -> bool:
        """Withdraw the objection in force; False when there is none."""
        result = self._session.execute(
            update(objections)
            .where(_o.subject_pseudonym == subject, _o.withdrawn_at_us.is_(None))
            .values(withdrawn_at_us=to_us(now))
        )
        return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]
