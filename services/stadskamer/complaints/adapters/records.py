"""Complaints as stored: rows ⇄ domain objects, with the texts still sealed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from stadskamer.complaints.domain import (
    Channel,
    Complaint,
    HandlingForm,
    NotHandledReason,
    Outcome,
    Status,
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


def _optional_us(moment: datetime | None) -> int | None:
    return None if moment is None else to_us(moment)


def outcome(name: str | None) -> Outcome | None:
    """The Outcome stored by name."""
    return None if name is None else Outcome[name]


@dataclass(frozen=True)
class ComplaintRecord:
    """A complaint as stored: the texts and the contact id are sealed (read back, ``complaint``
    has them empty, and no history); ``contact_reference`` is the contact id's keyed digest,
    ``request_digest`` the request_id's (``complaint.request_id`` is empty),
    ``subject_reference`` the complainant's stored reference (None for older complaints)."""

    complaint: Complaint
    description_sealed: bytes
    extension_reason_sealed: bytes | None
    key_version: str
    request_digest: bytes
    contact_reference: bytes | None = None
    contact_sealed: bytes | None = None
    subject_reference: bytes | None = None


@dataclass(frozen=True)
class AssignmentRecord:
    """One stored assignment; ``reason_sealed`` is None for the routing at filing."""

    sequence: int
    coordinator: str
    reason_sealed: bytes | None
    assigned_by: str
    assigned_at: datetime


def values(record: ComplaintRecord, **extra: Any) -> dict[str, Any]:
    """The column values of a complaint row."""
    c = record.complaint
    return {
        "id": c.id,
        "case_number": c.case_number,
        "request_digest": record.request_digest,
        "subject_pseudonym": c.subject,
        "subject_reference": record.subject_reference,
        "channel": int(c.channel),
        "received_at_us": to_us(c.received_at),
        "org_unit": c.org_unit,
        "about_official": c.about_official,
        "description_sealed": record.description_sealed,
        "key_version": record.key_version,
        "contact_reference": record.contact_reference,
        "contact_sealed": record.contact_sealed,
        "status": c.status.name,
        "coordinator": c.coordinator,
        "callback_due": c.callback_due,
        "callback_at_us": _optional_us(c.callback_at),
        "handling_form": c.handling_form.name if c.handling_form else None,
        "advisory_committee": c.advisory_committee,
        "decision_due": c.decision_due,
        "deadline_extended": c.decision_deadline_extended,
        "extension_reason_sealed": record.extension_reason_sealed,
        "outcome": c.outcome.name if c.outcome else None,
        "not_handled_reason": c.not_handled_reason.name if c.not_handled_reason else None,
        "handled_by_org_unit": c.handled_by_org_unit,
        "decided_at_us": _optional_us(c.decided_at),
        "closed_at_us": _optional_us(c.closed_at),
        "withdrawn_at_us": _optional_us(c.withdrawn_at),
        "created_at_us": to_us(c.created_at),
        "updated_at_us": to_us(c.updated_at),
        **extra,
    }


def from_row(row: Any) -> ComplaintRecord:
    """The record of a ``complaints`` row."""
    complaint = Complaint(
        id=row.id,
        case_number=row.case_number,
        request_id="",
        subject=bytes(row.subject_pseudonym),
        channel=Channel(row.channel),
        received_at=from_us(row.received_at_us),
        org_unit=row.org_unit,
        about_official=bool(row.about_official),
        description="",
        contact_id="",
        status=Status[row.status],
        coordinator=row.coordinator,
        callback_due=row.callback_due,
        decision_due=row.decision_due,
        created_at=from_us(row.created_at_us),
        updated_at=from_us(row.updated_at_us),
        callback_at=optional_time(row.callback_at_us),
        handling_form=HandlingForm[row.handling_form] if row.handling_form else None,
        advisory_committee=bool(row.advisory_committee),
        decision_deadline_extended=bool(row.deadline_extended),
        outcome=outcome(row.outcome),
        not_handled_reason=(
            NotHandledReason[row.not_handled_reason] if row.not_handled_reason else None
        ),
        handled_by_org_unit=row.handled_by_org_unit,
        decided_at=optional_time(row.decided_at_us),
        closed_at=optional_time(row.closed_at_us),
        withdrawn_at=optional_time(row.withdrawn_at_us),
    )
    return ComplaintRecord(
        complaint,
        bytes(row.description_sealed),
        _optional_bytes(row.extension_reason_sealed),
        row.key_version,
        bytes(row.request_digest),
        _optional_bytes(row.contact_reference),
        _optional_bytes(row.contact_sealed),
        _optional_bytes(row.subject_reference),
    )


def _optional_bytes(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)
