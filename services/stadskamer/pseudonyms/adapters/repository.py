"""The key-issuance record, stored with SQLAlchemy Core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadskamer.pseudonyms.adapters.orm import (
    issuance_counts,
    key_issuances,
    spent_tags,
    used_link_grants,
)


@dataclass(frozen=True)
class KeyIssuance:
    """One hand-out of a domain key."""

    domain: str
    key_version: str
    caller: str
    issued_at: datetime
    trace_id: bytes


class KeyIssuanceRepository:
    """Append and read key issuances within a unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, issuance: KeyIssuance) -> None:
        """Record one issuance."""
        self._session.execute(
            insert(key_issuances).values(
                domain=issuance.domain,
                key_version=issuance.key_version,
                caller=issuance.caller,
                issued_at=issuance.issued_at,
                trace_id=issuance.trace_id,
            )
        )

    def for_domain(self, domain: str) -> list[KeyIssuance]:
        """Every issuance of a domain's key, oldest first."""
        rows = self._session.execute(
            select(key_issuances)
            .where(key_issuances.c.domain == domain)
            .order_by(key_issuances.c.id)
        )
        return [
            KeyIssuance(r.domain, r.key_version, r.caller, r.issued_at, r.trace_id) for r in rows
        ]


class UsedGrantRepository:
    """Remembers honoured link grants so that each is honoured once, across processes."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, grant_id: str, expires_at: datetime) -> bool:
        """Record the grant as used; False when it was used before (by anyone), and then the
        caller must roll the transaction back (no savepoint: a SQLite savepoint opened
        outside a transaction commits on release)."""
        try:
            self._session.execute(
                insert(used_link_grants).values(grant_id=grant_id, expires_at=expires_at)
            )
        except IntegrityError:
            return False
        return True

    def prune(self, before: datetime) -> int:
        """Forget grants that expired before ``before``; returns how many."""
        result = self._session.execute(
            delete(used_link_grants).where(used_link_grants.c.expires_at < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class SpentTagRepository:
    """Remembers spent tagged pseudonyms so that each converts into its audience once."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, use_key: bytes, expires_at: datetime) -> bool:
        """Record the tag as spent; False when it was spent before (by anyone), and then the
        caller must roll the transaction back."""
        try:
            self._session.execute(insert(spent_tags).values(use_key=use_key, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def prune(self, before: datetime) -> int:
        """Forget tags that expired before ``before``; returns how many."""
        result = self._session.execute(delete(spent_tags).where(spent_tags.c.expires_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class IssuanceCounter:
    """Counts issued citizens per actor and hour, across processes."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, actor: str, hour: datetime, count: int, limit: int) -> bool:
        """Add ``count`` to the actor's hour unless that passes ``limit``; whether it was added.

        The row is created first (a concurrent creator's row is then updated instead), and the
        update is conditional, so concurrent callers of several processes never pass the limit.
        """
        key = (issuance_counts.c.actor == actor, issuance_counts.c.hour == hour)
        exists = self._session.execute(select(issuance_counts.c.issued).where(*key)).first()
        if exists is None:
            try:
                with self._session.begin_nested():
                    self._session.execute(
                        insert(issuance_counts).values(actor=actor, hour=hour, issued=0)
                    )
            except IntegrityError:
                pass  # created concurrently: update it below
        result = self._session.execute(
            update(issuance_counts)
            .where(*key, issuance_counts.c.issued + count <= limit)
            .values(issued=issuance_counts.c.issued + count)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def prune(self, before: datetime) -> None:
        """Forget hours before ``before``."""
        self._session.execute(delete(issuance_counts).where(issuance_counts.c.hour < before))
