"""Rows ⇄ domain objects of the surveys database, with sealed values kept sealed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from stadskamer.surveys.domain import (
    AddressKind,
    Channel,
    Context,
    DeliveryStatus,
    Invitation,
    Outcome,
    TriggerKind,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """UTC microseconds since the epoch."""
    return (moment - EPOCH) // _MICROSECOND


def from_us(value: int) -> datetime:
    """The UTC datetime of :func:`to_us`."""
    return EPOCH + value * _MICROSECOND


def optional_time(value: int | None) -> datetime | None:
    """:func:`from_us` of a nullable column."""
    return None if value is None else from_us(value)


def optional_us(moment: datetime | None) -> int | None:
    """:func:`to_us` of an optional moment."""
    return None if moment is None else to_us(moment)


@dataclass(frozen=True)
class TriggerRecord:
    """What came of one trigger: ``outcome`` is INVITED, a SkipReason name or IGNORED;
    ``key`` is the stored (keyed) form of the trigger's key."""

    key: str
    kind: str
    received_at: datetime
    outcome: str
    detail: str = ""
    invitation_id: str | None = None


@dataclass(frozen=True)
class InvitationRecord:
    """An invitation as stored, with its sealed values."""

    invitation: Invitation
    reference_hash: bytes | None = None
    reference_sealed: bytes | None = None
    address_sealed: bytes | None = None


def invitation_values(record: InvitationRecord) -> dict[str, Any]:
    """The column values of a new invitation row."""
    invitation = record.invitation
    context = invitation.context
    return {
        "id": invitation.id,
        "subject_pseudonym": invitation.subject,
        "trigger": context.trigger.name,
        "channel": int(context.channel),
        "topic": context.topic,
        "org_unit": context.org_unit,
        "complaint_outcome": context.complaint_outcome.name if context.complaint_outcome else None,
        "source_reference_hash": record.reference_hash,
        "source_reference_sealed": record.reference_sealed,
        "status": invitation.status.name,
        "created_at_us": to_us(invitation.created_at),
        "address_kind": invitation.address_kind.name if invitation.address_kind else None,
        "address_sealed": record.address_sealed,
    }


def context_of(row: Any) -> Context:
    """The analysis context of an ``invitations`` row."""
    outcome = row.complaint_outcome
    return Context(
        TriggerKind[row.trigger],
        Channel(row.channel),
        row.topic,
        row.org_unit,
        Outcome[outcome] if outcome else None,
    )


def invitation_of(row: Any) -> InvitationRecord:
    """The record of an ``invitations`` row."""
    kind = row.address_kind
    invitation = Invitation(
        id=row.id,
        subject=bytes(row.subject_pseudonym),
        context=context_of(row),
        status=DeliveryStatus[row.status],
        created_at=from_us(row.created_at_us),
        address_kind=AddressKind[kind] if kind else None,
        delivered_at=optional_time(row.delivered_at_us),
        token_expires_at=optional_time(row.token_expires_at_us),
        responded_at=optional_time(row.responded_at_us),
    )
    sealed = row.address_sealed
    reference = row.source_reference_sealed
    return InvitationRecord(
        invitation,
        bytes(row.source_reference_hash) if row.source_reference_hash is not None else None,
        bytes(reference) if reference is not None else None,
        bytes(sealed) if sealed is not None else None,
    )
