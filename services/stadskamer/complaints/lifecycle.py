"""The coordinator's use cases: reassign, call back, handling form, extend, decide, close, withdraw.

Each runs in one transaction that first locks the complaint (a revision bump, so concurrent
changes of one complaint serialise), applies a rule of :mod:`stadskamer.complaints.domain`,
writes the result and its processing record (naming the complainant through the stored
reference), and commits. Closing also writes the ComplaintClosed event into the outbox in that
same transaction, and wakes the relay after the commit; the event is stored without the
complainant, whom the relay adds at each delivery as a fresh reference (never the stored one).
A complaint filed before references were kept has no event: it cannot name the complainant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, NotFound
from stadskamer.complaints import domain, inputs
from stadskamer.complaints.adapters.records import AssignmentRecord, ComplaintRecord
from stadskamer.complaints.adapters.repository import ComplaintRepository
from stadskamer.complaints.domain import (
    DOMAIN,
    NAME_PREFIX,
    Assignment,
    Complaint,
    HandlingForm,
    NotHandledReason,
    Outcome,
)
from stadskamer.complaints.service import Dependencies, Records, invalid
from stadskamer.complaints.texts import assignment_context, extension_context

COORDINATOR_ROLES = ("coordinator",)
WITHDRAW_ROLES = ("coordinator", "system")

Change = Callable[[ComplaintRepository, ComplaintRecord, datetime], ComplaintRecord]


def complaint_id(name: str) -> str:
    """The id in ``complaints/{id}``; INVALID_ARGUMENT naming ``name`` otherwise."""
    if not name.startswith(NAME_PREFIX) or not inputs.CONTACT_ID.match(name[len(NAME_PREFIX) :]):
        raise InvalidArgument.for_field("name", "not a complaint name: complaints/{id}")
    return name[len(NAME_PREFIX) :]


class LifecycleService:
    """The changes of a filed complaint."""

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps
        self._records = Records(deps)

    def reassign(self, caller: Principal, name: str, coordinator: str, reason: str) -> Complaint:
        """Move an open complaint to another coordinator of the routing table, with a reason."""
        invalid(
            [
                *inputs.code_violations("coordinator", coordinator),
                *inputs.text_violations("reason", reason, inputs.MAX_REASON_CHARS),
            ],
            "reassignment",
        )
        if coordinator not in self._deps.routing.coordinators:
            raise InvalidArgument.for_field("coordinator", "not a coordinator of the routing table")

        def change(
            repo: ComplaintRepository, record: ComplaintRecord, now: datetime
        ) -> ComplaintRecord:
            current = record.complaint
            sequence = len(repo.assignments(current.id)) + 1
            by = caller.subject[:255]
            changed = domain.reassign(current, Assignment(coordinator, reason, by, now))
            sealed = self._deps.cipher.seal(reason, assignment_context(current.id, sequence))
            repo.add_assignment(
                current.id, AssignmentRecord(sequence, coordinator, sealed, by, now)
            )
            return replace(record, complaint=changed)

        return self._change(caller, name, "complaints.reassign", COORDINATOR_ROLES, change)

    def record_callback(
        self,
        caller: Principal,
        name: str,
        called_at: datetime | None,
        form: int,
        advisory_committee: bool,
    ) -> Complaint:
        """The complainant was called back and chose a handling form."""
        now = self._deps.clock()
        invalid(
            [
                *inputs.form_violations(form, advisory_committee),
                *inputs.moment_violations("callback_time", called_at, now),
            ],
            "call-back",
        )

        def change(
            _: ComplaintRepository, record: ComplaintRecord, now: datetime
        ) -> ComplaintRecord:
            moment = called_at or now
            if moment < record.complaint.received_at:
                raise InvalidArgument.for_field("callback_time", "before the complaint's receipt")
            changed = domain.record_callback(
                record.complaint,
                moment,
                HandlingForm(form),
                advisory_committee,
                self._deps.deadlines,
                now,
            )
            return replace(record, complaint=changed)

        return self._change(caller, name, "complaints.callback", COORDINATOR_ROLES, change)

    def choose_handling_form(
        self, caller: Principal, name: str, form: int, advisory_committee: bool
    ) -> Complaint:
        """The complainant changed the handling form."""
        invalid(inputs.form_violations(form, advisory_committee), "handling form")

        def change(
            _: ComplaintRepository, record: ComplaintRecord, now: datetime
        ) -> ComplaintRecord:
            changed = domain.choose_handling_form(
                record.complaint, HandlingForm(form), advisory_committee, self._deps.deadlines, now
            )
            return replace(record, complaint=changed)

        return self._change(caller, name, "complaints.handling-form", COORDINATOR_ROLES, change)

    def extend_decision_deadline(self, caller: Principal, name: str, reason: str) -> Complaint:
        """Extend the decision deadline once, with a reason."""
        invalid(inputs.text_violations("reason", reason, inputs.MAX_REASON_CHARS), "extension")

        def change(
            _: ComplaintRepository, record: ComplaintRecord, now: datetime
        ) -> ComplaintRecord:
            current = record.complaint
            changed = domain.extend_decision_deadline(current, reason, self._deps.deadlines, now)
            sealed = self._deps.cipher.seal(reason, extension_context(current.id))
            return replace(record, complaint=changed, extension_reason_sealed=sealed)

        return self._change(caller, name, "complaints.extend", COORDINATOR_ROLES, change)

    def decide(
        self, caller: Principal, name: str, outcome: int, org_unit: str, reason: int
    ) -> Complaint:
        """Record the outcome and the org unit that handled the complaint."""
        invalid(inputs.decision_violations(outcome, org_unit, reason), "decision")
        not_handled = NotHandledReason(reason) if reason else None

        def change(
            _: ComplaintRepository, record: ComplaintRecord, now: datetime
        ) -> ComplaintRecord:
            changed = domain.decide(record.complaint, Outcome(outcome), org_unit, not_handled, now)
            return replace(record, complaint=changed)

        return self._change(caller, name, "complaints.decide", COORDINATOR_ROLES, change)

    def close(self, caller: Principal, name: str) -> Complaint:
        """Close a decided complaint and emit ComplaintClosed in the same transaction."""

        def change(
            repo: ComplaintRepository, record: ComplaintRecord, now: datetime
        ) -> ComplaintRecord:
            changed = domain.close(record.complaint, now)
            if record.subject_reference is not None:
                repo.add_event(self._deps.events.complaint_closed(changed, str(uuid4()), now))
            return replace(record, complaint=changed)

        closed = self._change(caller, name, "complaints.close", COORDINATOR_ROLES, change)
        self._deps.on_event()
        return closed

    def withdraw(self, caller: Principal, name: str) -> Complaint:
        """The complainant withdrew the complaint."""

        def change(
            _: ComplaintRepository, record: ComplaintRecord, now: datetime
        ) -> ComplaintRecord:
            return replace(record, complaint=domain.withdraw(record.complaint, now))

        return self._change(caller, name, "complaints.withdraw", WITHDRAW_ROLES, change)

    def _change(
        self,
        caller: Principal,
        name: str,
        operation: str,
        roles: tuple[str, ...],
        change: Change,
    ) -> Complaint:
        caller.require_domain(DOMAIN)
        caller.require_role(*roles)
        identifier = complaint_id(name)
        with self._deps.unit_of_work() as uow:
            repository = ComplaintRepository(uow.session)
            record = repository.get(identifier) if repository.lock(identifier) else None
            if record is None:
                raise NotFound("no such complaint", "COMPLAINT_NOT_FOUND", {"name": name})
            changed = change(repository, record, self._deps.clock())
            repository.update(changed)
            subject = self._records.audit_subject(record)
            self._records.log(caller, operation, changed.complaint, audit_subject=subject)
            opened = self._records.open(repository, changed)
            uow.commit()
        return opened
