"""The consent register, stored with SQLAlchemy Core within a unit of work's session."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadskamer.consent.adapters.orm import consents
from stadskamer.consent.domain import Capture, CaptureMethod, Consent, WithdrawalReason


class DuplicateRequest(Exception):
    """A consent with this request id exists already (possibly written concurrently)."""


class ConsentRepository:
    """Add, read and withdraw consents."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, consent: Consent, request_digest: bytes) -> None:
        """Insert a new consent, made by the request id of ``request_digest`` (its keyed
        digest); :class:`DuplicateRequest` if that is taken.

        After a DuplicateRequest the transaction is unusable: leave the unit of work.
        """
        try:
            self._session.execute(
                insert(consents).values(**_row(consent), request_digest=request_digest)
            )
        except IntegrityError:
            raise DuplicateRequest(consent.id) from None

    def by_request_digest(self, request_digest: bytes) -> Consent | None:
        """The consent created by the request id of this keyed digest, if any."""
        row = self._session.execute(
            select(consents).where(consents.c.request_digest == request_digest)
        ).first()
        return _consent(row) if row else None

    def get(self, consent_id: str) -> Consent | None:
        """A consent by id, if it exists."""
        row = self._session.execute(select(consents).where(consents.c.id == consent_id)).first()
        return _consent(row) if row else None

    def for_subject(self, subject: bytes, purpose: str) -> list[Consent]:
        """Every consent of a subject for a purpose, oldest first."""
        rows = self._session.execute(
            select(consents)
            .where(consents.c.subject == subject, consents.c.purpose == purpose)
            .order_by(consents.c.seq)
        )
        return [_consent(row) for row in rows]

    def page(
        self,
        subject: bytes,
        after: int,
        limit: int,
        purposes: Collection[tuple[str, int]] | None = None,
    ) -> list[tuple[int, Consent]]:
        """Up to ``limit`` consents of a subject after position ``after``, with positions;
        only those of the given (purpose, version) pairs when ``purposes`` is not None."""
        query = select(consents).where(consents.c.subject == subject, consents.c.seq > after)
        if purposes is not None:
            if not purposes:
                return []
            c = consents.c
            query = query.where(
                or_(*(and_(c.purpose == p, c.purpose_version == v) for p, v in purposes))
            )
        rows = self._session.execute(query.order_by(consents.c.seq).limit(limit))
        return [(row.seq, _consent(row)) for row in rows]

    def withdraw(self, consent: Consent) -> bool:
        """Store the withdrawal of ``consent``; False if it was withdrawn meanwhile."""
        assert consent.withdrawn_at is not None and consent.withdrawal_reason is not None
        result = self._session.execute(
            update(consents)
            .where(consents.c.id == consent.id, consents.c.withdrawn_at.is_(None))
            .values(
                withdrawn_at=consent.withdrawn_at.astimezone(UTC),
                withdrawal_reason=consent.withdrawal_reason.value,
                withdrawn_by=consent.withdrawn_by,
                withdrawal_receipt=consent.withdrawal_receipt,
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _row(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.id,
        "subject": consent.subject,
        "purpose": consent.purpose,
        "purpose_version": consent.purpose_version,
        "notice_hash": consent.notice_hash,
        "channel": consent.capture.channel,
        "capture_method": consent.capture.method.value,
        "agent_id": consent.capture.agent_id,
        "recorded_by": consent.recorded_by,
        "given_at": consent.given_at.astimezone(UTC),
        "expires_at": consent.expires_at.astimezone(UTC) if consent.expires_at else None,
        "receipt": consent.receipt,
        "subject_reference": consent.reference or None,
    }


def _consent(row: Any) -> Consent:
    return Consent(
        id=row.id,
        subject=bytes(row.subject),
        purpose=row.purpose,
        purpose_version=row.purpose_version,
        notice_hash=bytes(row.notice_hash),
        capture=Capture(row.channel, CaptureMethod(row.capture_method), row.agent_id),
        recorded_by=row.recorded_by,
        given_at=_utc(row.given_at),
        expires_at=_utc(row.expires_at) if row.expires_at else None,
        receipt=row.receipt,
        withdrawn_at=_utc(row.withdrawn_at) if row.withdrawn_at else None,
        withdrawal_reason=WithdrawalReason(row.withdrawal_reason)
        if row.withdrawal_reason
        else None,
        withdrawn_by=row.withdrawn_by or "",
        withdrawal_receipt=row.withdrawal_receipt or "",
        reference=bytes(row.subject_reference or b""),
    )


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
