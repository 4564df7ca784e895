"""What valid input is: a new complaint's draft and the arguments of the lifecycle actions.

Plain Python. Each check returns ``(field, description)`` pairs named after the public
contract, so the servicer's validator and the service layer report the same violations. No
description contains the input's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stadskamer.common.citizens import tagged_violations
from stadskamer.complaints.domain import DOMAIN, Channel, HandlingForm, NotHandledReason, Outcome

MAX_DESCRIPTION_CHARS = 5000
MAX_REASON_CHARS = 500
EARLIEST_RECEIVED_AT = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=5)
REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
CONTACT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
CODE_TEXT = "1-64 characters of a-z, 0-9, '-', '_' and '.'"

Violation = tuple[str, str]


@dataclass(frozen=True)
class Draft:
    """A complaint as filed. ``received_at`` None means: now."""

    request_id: str
    subject: bytes
    channel: int
    received_at: datetime | None
    org_unit: str
    about_official: bool
    description: str
    contact_id: str = ""


def draft_violations(draft: Draft) -> Iterator[Violation]:
    """Shape checks of a draft that need no clock."""
    if not REQUEST_ID.match(draft.request_id):
        yield "request_id", "required: 1-128 printable ASCII characters without spaces"
    yield from tagged_violations("subject", draft.subject, (DOMAIN,))
    if draft.channel not in Channel.__members__.values():
        yield "channel", "required: a Channel value"
    if not CODE.match(draft.org_unit):
        yield "org_unit", f"required: {CODE_TEXT}"
    yield from text_violations("description", draft.description, MAX_DESCRIPTION_CHARS)
    if draft.contact_id and not CONTACT_ID.match(draft.contact_id):
        yield "contact_id", "at most 64 characters of letters, digits and '-'"
    if draft.received_at is not None and draft.received_at < EARLIEST_RECEIVED_AT:
        yield "receive_time", "not a valid time (before 2000-01-01)"


def moment_violations(field: str, moment: datetime | None, now: datetime) -> Iterator[Violation]:
    """A given moment must not lie more than the clock skew in the future."""
    if moment is not None and moment > now + CLOCK_SKEW:
        yield field, "lies in the future"


def text_violations(field: str, value: str, limit: int) -> Iterator[Violation]:
    """Required free text of at most ``limit`` characters."""
    if not value.strip():
        yield field, "required"
    elif len(value) > limit:
        yield field, f"at most {limit} characters"


def code_violations(field: str, value: str) -> Iterator[Violation]:
    """A required code (org unit, coordinator)."""
    if not CODE.match(value):
        yield field, f"required: {CODE_TEXT}"


def form_violations(form: int, advisory_committee: bool, prefix: str = "") -> Iterator[Violation]:
    """A chosen handling form, and the committee flag only with a hearing."""
    if form not in HandlingForm.__members__.values():
        yield f"{prefix}handling_form", "required: a HandlingForm value"
    elif advisory_committee and form != HandlingForm.HEARING:
        yield f"{prefix}advisory_committee", "only with HANDLING_FORM_HEARING"


def decision_violations(outcome: int, org_unit: str, reason: int) -> Iterator[Violation]:
    """An outcome, the handling org unit, and a not-handled reason exactly with NOT_HANDLED."""
    if outcome not in Outcome.__members__.values():
        yield "outcome", "required: an Outcome value"
    yield from code_violations("handled_by_org_unit", org_unit)
    if outcome == Outcome.NOT_HANDLED and reason not in NotHandledReason.__members__.values():
        yield "not_handled_reason", "required with OUTCOME_NOT_HANDLED"
    elif outcome != Outcome.NOT_HANDLED and reason:
        yield "not_handled_reason", "only with OUTCOME_NOT_HANDLED"
