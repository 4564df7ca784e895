"""Complaints in a given state, for the unit tests of the rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from stadskamer.complaints.deadlines import DeadlinePolicy
from stadskamer.complaints.domain import Assignment, Channel, Complaint, Status

POLICY = DeadlinePolicy()
RECEIVED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # Monday


def complaint(status: Status = Status.RECEIVED, about_official: bool = False) -> Complaint:
    """A complaint received on Monday 2 March 2026, in ``status``."""
    made = Complaint(
        id="0f6ad1c0-8a7e-4c1f-9d3e-1b2c3d4e5f60",
        case_number="KL-2026-000001",
        request_id="req-1",
        subject=bytes(32),
        channel=Channel.WEB_FORM,
        received_at=RECEIVED_AT,
        org_unit="burgerzaken",
        about_official=about_official,
        description="De balie was dicht.",
        contact_id="",
        status=Status.RECEIVED,
        coordinator="centraal",
        callback_due=POLICY.callback_due(RECEIVED_AT),
        decision_due=POLICY.decision_due(RECEIVED_AT, False, False),
        created_at=RECEIVED_AT,
        updated_at=RECEIVED_AT,
        assignments=(Assignment("centraal", "", "agent-1", RECEIVED_AT),),
    )
    return replace(made, status=status)
