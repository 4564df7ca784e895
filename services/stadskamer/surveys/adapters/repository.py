"""Triggers, invitations, the fatigue clock and objections, stored with SQLAlchemy Core.

Every state change that must happen once is one conditional UPDATE whose row count says
whether this transaction won: claiming a token (``responded_at IS NULL``), attaching an
address, marking a delivery. On PostgreSQL the UPDATE takes the row lock and re-checks its
condition after a concurrent commit; on SQLite it takes the database write lock. Whatever
decides about one citizen (an invitation's rules, an objection) first locks the citizen's
``survey_subjects`` row (:meth:`InvitationRepository.lock_subject`), so those serialise.
A second trigger with a known key raises :class:`DuplicateTrigger`, on which the caller rolls
back and reads the first outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadskamer.surveys.adapters import records
from stadskamer.surveys.adapters.orm import invitations, objections, survey_subjects, triggers
from stadskamer.surveys.adapters.records import InvitationRecord, TriggerRecord, to_us
from stadskamer.surveys.domain import AddressKind, DeliveryStatus

_i = invitations.c
OPEN_STATUSES = (
    DeliveryStatus.AWAITING_ADDRESS.name,
    DeliveryStatus.PENDING_DELIVERY.name,
    DeliveryStatus.DELIVERED.name,
)


class DuplicateTrigger(Exception):
    """A trigger with this key was recorded already (a redelivered event or a retry)."""


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _optional_bytes(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


class InvitationRepository:
    """Read and write invitations within a unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def trigger(self, key: str) -> TriggerRecord | None:
        """What came of the trigger ``key``, if it was received before."""
        row = self._session.execute(select(triggers).where(triggers.c.trigger_key == key)).first()
        if row is None:
            return None
        return TriggerRecord(
            row.trigger_key,
            row.kind,
            records.from_us(row.received_at_us),
            row.outcome,
            row.detail,
            row.invitation_id,
        )

    def add_trigger(self, record: TriggerRecord) -> None:
        """Record a trigger; DuplicateTrigger when its key is known (roll back then)."""
        try:
            self._session.execute(
                insert(triggers).values(
                    trigger_key=record.key,
                    kind=record.kind,
                    received_at_us=to_us(record.received_at),
                    outcome=record.outcome,
                    detail=record.detail,
                    invitation_id=record.invitation_id,
                )
            )
        except IntegrityError:
            raise DuplicateTrigger(record.key) from None

    def objected(self, subject: bytes) -> bool:
        """Whether an objection of the citizen is in force."""
        row = self._session.execute(
            select(objections.c.withdrawn_at_us).where(objections.c.subject_pseudonym == subject)
        ).first()
        return row is not None and row.withdrawn_at_us is None

    def last_invited(self, subject: bytes) -> datetime | None:
        """When the citizen was last invited, if ever."""
        value = self._session.execute(
            select(survey_subjects.c.last_invited_at_us).where(
                survey_subjects.c.subject_pseudonym == subject
            )
        ).scalar_one_or_none()
        return records.optional_time(value)

    def lock_subject(self, subject: bytes, reference: bytes | None = None) -> None:
        """Take the citizen's row lock (creating the row on first sight) before reading;
        with ``reference``, keep it as the citizen's stored reference (the newest claim's)."""
        s = survey_subjects.c
        kept = {"subject_reference": reference} if reference else {}
        bump = update(survey_subjects).where(s.subject_pseudonym == subject)
        bump = bump.values(revision=s.revision + 1, **kept)
        if _rowcount(self._session.execute(bump)) == 1:
            return
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(survey_subjects).values(subject_pseudonym=subject, revision=1, **kept)
                )
        except IntegrityError:
            self._session.execute(bump)  # created concurrently: wait for its lock

    def references(self, subjects: Sequence[bytes]) -> list[bytes | None]:
        """The stored reference of each citizen, in order (None: none kept)."""
        s = survey_subjects.c
        rows = self._session.execute(
            select(s.subject_pseudonym, s.subject_reference).where(
                s.subject_pseudonym.in_(set(subjects))
            )
        )
        found = {bytes(r.subject_pseudonym): r.subject_reference for r in rows}
        return [_optional_bytes(found.get(subject)) for subject in subjects]

    def reference(self, subject: bytes) -> bytes | None:
        """:meth:`references` of one citizen."""
        return self.references([subject])[0]

    def set_last_invited(self, subject: bytes, now: datetime) -> None:
        """Start the citizen's fatigue period (the row is locked)."""
        self._session.execute(
            update(survey_subjects)
            .where(survey_subjects.c.subject_pseudonym == subject)
            .values(last_invited_at_us=to_us(now))
        )

    def add(self, record: InvitationRecord) -> None:
        """Insert a new invitation."""
        self._session.execute(insert(invitations).values(records.invitation_values(record)))

    def get(self, invitation_id: str) -> InvitationRecord | None:
        """One invitation by id."""
        return self._one(_i.id == invitation_id)

    def by_reference(self, reference_hash: bytes) -> InvitationRecord | None:
        """The newest invitation created with this source reference."""
        row = self._session.execute(
            select(invitations)
            .where(_i.source_reference_hash == reference_hash)
            .order_by(_i.created_at_us.desc(), _i.id)
            .limit(1)
        ).first()
        return records.invitation_of(row) if row is not None else None

    def by_token(self, token_hash: bytes) -> InvitationRecord | None:
        """The invitation a token was handed out for."""
        return self._one(_i.token_hash == token_hash)

    def _one(self, condition: Any) -> InvitationRecord | None:
        row = self._session.execute(select(invitations).where(condition)).first()
        return records.invitation_of(row) if row is not None else None

    def claim_token(self, token_hash: bytes, now: datetime) -> bool:
        """Use a delivered, unexpired, unused token: True for exactly one caller."""
        result = self._session.execute(
            update(invitations)
            .where(
                _i.token_hash == token_hash,
                _i.responded_at_us.is_(None),
                _i.status == DeliveryStatus.DELIVERED.name,
                _i.token_expires_at_us > to_us(now),
            )
            .values(status=DeliveryStatus.RESPONDED.name, responded_at_us=to_us(now))
        )
        return _rowcount(result) == 1

    def attach_address(self, invitation_id: str, kind: AddressKind, sealed: bytes) -> bool:
        """Give an invitation that awaits an address its sealed address."""
        result = self._session.execute(
            update(invitations)
            .where(_i.id == invitation_id, _i.status == DeliveryStatus.AWAITING_ADDRESS.name)
            .values(
                status=DeliveryStatus.PENDING_DELIVERY.name,
                address_kind=kind.name,
                address_sealed=sealed,
            )
        )
        return _rowcount(result) == 1

    def pending(self, limit: int) -> list[str]:
        """Ids of invitations whose delivery is pending, oldest first."""
        rows = self._session.execute(
            select(_i.id)
            .where(_i.status == DeliveryStatus.PENDING_DELIVERY.name)
            .order_by(_i.created_at_us, _i.id)
            .limit(limit)
        )
        return [str(row.id) for row in rows]

    def hand_out_token(self, invitation_id: str, token_hash: bytes, expires: datetime) -> bool:
        """Store the hash of the token about to be sent (a previous unsent one stops working)."""
        result = self._session.execute(
            update(invitations)
            .where(_i.id == invitation_id, _i.status == DeliveryStatus.PENDING_DELIVERY.name)
            .values(token_hash=token_hash, token_expires_at_us=to_us(expires))
        )
        return _rowcount(result) == 1

    def mark_delivered(self, invitation_id: str, token_hash: bytes, now: datetime) -> bool:
        """Delivered with the token ``token_hash``: erase the address."""
        result = self._session.execute(
            update(invitations)
            .where(
                _i.id == invitation_id,
                _i.status == DeliveryStatus.PENDING_DELIVERY.name,
                _i.token_hash == token_hash,
            )
            .values(
                status=DeliveryStatus.DELIVERED.name,
                delivered_at_us=to_us(now),
                address_sealed=None,
            )
        )
        return _rowcount(result) == 1

    def cancel_open(self, subject: bytes, now: datetime) -> int:
        """Cancel the citizen's unanswered invitations and erase their addresses."""
        result = self._session.execute(
            update(invitations)
            .where(_i.subject_pseudonym == subject, _i.status.in_(OPEN_STATUSES))
            .values(
                status=DeliveryStatus.CANCELLED.name,
                cancelled_at_us=to_us(now),
                address_sealed=None,
            )
        )
        return _rowcount(result)
