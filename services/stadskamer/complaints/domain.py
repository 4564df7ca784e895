"""The complaint as a case: its states, the valid transitions and the lifecycle actions.

Plain Python: no gRPC, no SQL. A complaint's subject is the 32-byte ``klachten`` domain
pseudonym. Every action returns a new :class:`Complaint`; an action that the status does not
allow raises FAILED_PRECONDITION. Field names in errors are those of the public contract; no
message contains personal data (no description, no reason text).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import IntEnum

from stadskamer.common.errors import FailedPrecondition
from stadskamer.complaints.deadlines import DeadlinePolicy
from stadskamer.complaints.workdays import local_date

DOMAIN = "klachten"
CASE_PREFIX = "KL"
CASE_DIGITS = 6
NAME_PREFIX = "complaints/"


class Channel(IntEnum):
    """The channel of a complaint; the numbers are those of ``stadskamer.common.v1.Channel``."""

    COUNTER = 1
    PHONE = 2
    EMAIL = 3
    WEB_FORM = 4
    CHAT = 5
    WHATSAPP = 6
    SOCIAL_MEDIA = 7
    LETTER = 8
    VIDEO = 9
    RECEPTION = 10


class Status(IntEnum):
    """The lifecycle states (numbers of ``ComplaintStatus``)."""

    RECEIVED = 1
    IN_HANDLING = 2
    DECIDED = 3
    CLOSED = 4
    WITHDRAWN = 5


class HandlingForm(IntEnum):
    """How the complainant chose to have the complaint handled (``HandlingForm``)."""

    INFORMAL = 1
    HEARING = 2
    THREE_WAY_CONVERSATION = 3


class Outcome(IntEnum):
    """The decision (``Outcome``)."""

    FOUNDED = 1
    PARTLY_FOUNDED = 2
    UNFOUNDED = 3
    NOT_HANDLED = 4


class NotHandledReason(IntEnum):
    """The ground for not handling a complaint, Awb art. 9:8 and 4:5 (``NotHandledReason``)."""

    ALREADY_HANDLED = 1
    OLDER_THAN_ONE_YEAR = 2
    OBJECTION_OR_APPEAL_POSSIBLE = 3
    COURT_PROCEEDINGS = 4
    CRIMINAL_PROCEEDINGS = 5
    INSUFFICIENT_INTEREST = 6
    INCOMPLETE = 7


# The transition table: the statuses each status may move to. CLOSED and WITHDRAWN are final;
# the complainant may withdraw at any point before the case is closed.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.IN_HANDLING, Status.WITHDRAWN}),
    Status.IN_HANDLING: frozenset({Status.DECIDED, Status.WITHDRAWN}),
    Status.DECIDED: frozenset({Status.CLOSED, Status.WITHDRAWN}),
    Status.CLOSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}
# While these statuses hold, the complaint may be reassigned and its decision clock runs.
OPEN_STATUSES = frozenset({Status.RECEIVED, Status.IN_HANDLING})


def can_transition(current: Status, target: Status) -> bool:
    """Whether the table allows ``current`` → ``target``."""
    return target in TRANSITIONS[current]


def require_transition(current: Status, target: Status) -> None:
    """FAILED_PRECONDITION unless the table allows ``current`` → ``target``."""
    if not can_transition(current, target):
        raise FailedPrecondition(
            f"a complaint that is {current.name} cannot become {target.name}",
            "INVALID_STATUS_TRANSITION",
            {"status": current.name, "target_status": target.name},
        )


def format_case_number(year: int, number: int) -> str:
    """``KL-<year>-<number>``, the number zero-padded to 6 digits (wider beyond 999999)."""
    return f"{CASE_PREFIX}-{year}-{number:0{CASE_DIGITS}d}"


def resource_name(complaint_id: str) -> str:
    """``complaints/{id}``."""
    return NAME_PREFIX + complaint_id


@dataclass(frozen=True)
class Assignment:
    """One entry of the assignment history; ``reason`` is empty for the routing at filing."""

    coordinator: str
    reason: str
    assigned_by: str
    assigned_at: datetime


@dataclass(frozen=True)
class Complaint:
    """One complaint with the state of both clocks. Descriptions and reasons in clear.

    ``request_id`` is the caller's, in the answer to FileComplaint (and to a retry); it is not
    stored, so a complaint read back has none."""

    id: str
    case_number: str
    request_id: str
    subject: bytes
    channel: Channel
    received_at: datetime
    org_unit: str
    about_official: bool
    description: str
    contact_id: str
    status: Status
    coordinator: str
    callback_due: date
    decision_due: date
    created_at: datetime
    updated_at: datetime
    callback_at: datetime | None = None
    handling_form: HandlingForm | None = None
    advisory_committee: bool = False
    decision_deadline_extended: bool = False
    extension_reason: str = ""
    outcome: Outcome | None = None
    not_handled_reason: NotHandledReason | None = None
    handled_by_org_unit: str = ""
    decided_at: datetime | None = None
    closed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    assignments: tuple[Assignment, ...] = ()

    @property
    def name(self) -> str:
        """The resource name."""
        return resource_name(self.id)

    @property
    def suggested_handling_form(self) -> HandlingForm:
        """THREE_WAY_CONVERSATION about an official, INFORMAL otherwise; the complainant decides."""
        if self.about_official:
            return HandlingForm.THREE_WAY_CONVERSATION
        return HandlingForm.INFORMAL

    @property
    def callback_within_norm(self) -> bool:
        """Called back on or before the due date."""
        return self.callback_at is not None and local_date(self.callback_at) <= self.callback_due

    def callback_overdue(self, today: date) -> bool:
        """The call-back clock runs and its due date is before ``today``."""
        return self.status is Status.RECEIVED and today > self.callback_due

    def decision_overdue(self, today: date) -> bool:
        """The decision clock runs and its due date is before ``today``."""
        return self.status in OPEN_STATUSES and today > self.decision_due


def record_callback(
    complaint: Complaint,
    called_at: datetime,
    form: HandlingForm,
    advisory_committee: bool,
    policy: DeadlinePolicy,
    now: datetime,
) -> Complaint:
    """The call-back took place and the complainant chose ``form``: RECEIVED → IN_HANDLING."""
    require_transition(complaint.status, Status.IN_HANDLING)
    return replace(
        _with_form(complaint, form, advisory_committee, policy),
        status=Status.IN_HANDLING,
        callback_at=called_at,
        updated_at=now,
    )


def choose_handling_form(
    complaint: Complaint,
    form: HandlingForm,
    advisory_committee: bool,
    policy: DeadlinePolicy,
    now: datetime,
) -> Complaint:
    """The complainant changed the handling form while the complaint is IN_HANDLING."""
    if complaint.status is not Status.IN_HANDLING:
        raise FailedPrecondition(
            "the handling form can only change while the complaint is IN_HANDLING",
            "NOT_IN_HANDLING",
            {"status": complaint.status.name},
        )
    return replace(_with_form(complaint, form, advisory_committee, policy), updated_at=now)


def _with_form(
    complaint: Complaint, form: HandlingForm, committee: bool, policy: DeadlinePolicy
) -> Complaint:
    due = policy.decision_due(
        complaint.received_at, committee, complaint.decision_deadline_extended
    )
    return replace(complaint, handling_form=form, advisory_committee=committee, decision_due=due)


def extend_decision_deadline(
    complaint: Complaint, reason: str, policy: DeadlinePolicy, now: datetime
) -> Complaint:
    """Extend the decision deadline once by the policy's extension, before it has passed."""
    if complaint.status not in OPEN_STATUSES:
        raise FailedPrecondition(
            "only an undecided, open complaint's deadline can be extended",
            "DECISION_CLOCK_STOPPED",
            {"status": complaint.status.name},
        )
    if complaint.decision_deadline_extended:
        raise FailedPrecondition(
            "the decision deadline was extended before; it can be extended only once",
            "DEADLINE_ALREADY_EXTENDED",
        )
    if local_date(now) > complaint.decision_due:
        raise FailedPrecondition(
            "the decision deadline has passed and can no longer be extended",
            "DEADLINE_PASSED",
        )
    due = policy.decision_due(complaint.received_at, complaint.advisory_committee, True)
    return replace(
        complaint,
        decision_deadline_extended=True,
        extension_reason=reason,
        decision_due=due,
        updated_at=now,
    )


def decide(
    complaint: Complaint,
    outcome: Outcome,
    handled_by_org_unit: str,
    not_handled_reason: NotHandledReason | None,
    now: datetime,
) -> Complaint:
    """Record the decision: IN_HANDLING → DECIDED."""
    require_transition(complaint.status, Status.DECIDED)
    return replace(
        complaint,
        status=Status.DECIDED,
        outcome=outcome,
        handled_by_org_unit=handled_by_org_unit,
        not_handled_reason=not_handled_reason if outcome is Outcome.NOT_HANDLED else None,
        decided_at=now,
        updated_at=now,
    )


def close(complaint: Complaint, now: datetime) -> Complaint:
    """Close the case: DECIDED → CLOSED."""
    require_transition(complaint.status, Status.CLOSED)
    return replace(complaint, status=Status.CLOSED, closed_at=now, updated_at=now)


def withdraw(complaint: Complaint, now: datetime) -> Complaint:
    """The complainant withdrew the complaint: → WITHDRAWN from any state but a final one."""
    require_transition(complaint.status, Status.WITHDRAWN)
    return replace(complaint, status=Status.WITHDRAWN, withdrawn_at=now, updated_at=now)


def reassign(complaint: Complaint, assignment: Assignment) -> Complaint:
    """Assign an open complaint to another coordinator, appending to the history."""
    if complaint.status not in OPEN_STATUSES:
        raise FailedPrecondition(
            "only a RECEIVED or IN_HANDLING complaint can be reassigned",
            "COMPLAINT_NOT_OPEN",
            {"status": complaint.status.name},
        )
    if assignment.coordinator == complaint.coordinator:
        raise FailedPrecondition(
            "the complaint is assigned to this coordinator already", "ALREADY_ASSIGNED"
        )
    return replace(
        complaint,
        coordinator=assignment.coordinator,
        assignments=(*complaint.assignments, assignment),
        updated_at=assignment.assigned_at,
    )
