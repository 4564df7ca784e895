"""The key-issuance record, stored with SQLAlchemy Core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from stadskamer.pseudonyms.adapters.orm import key_issuances


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
