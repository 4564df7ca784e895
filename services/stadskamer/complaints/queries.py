"""Reading complaints: one complaint, filtered pages of a coordinator's work, and figures.

Deadline filters look at one clock (call-back or decision) and only at complaints whose clock
still runs: the call-back clock while RECEIVED, the decision clock while RECEIVED or
IN_HANDLING. "Overdue" is a due date before today, "due within N days" a due date from today
to today + N (calendar days in the Netherlands). The citizen filter and who may use it are in
:mod:`stadskamer.complaints.subjects`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from stadskamer.common import paging
from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, NotFound, PermissionDenied
from stadskamer.common.references import KeyedDigest
from stadskamer.complaints.adapters.records import to_us
from stadskamer.complaints.adapters.repository import ComplaintFilter, ComplaintRepository, Cursor
from stadskamer.complaints.domain import DOMAIN, OPEN_STATUSES, Complaint, Status
from stadskamer.complaints.lifecycle import COORDINATOR_ROLES, complaint_id
from stadskamer.complaints.service import Dependencies, Records
from stadskamer.complaints.stats import ComplaintStats, complaint_stats
from stadskamer.complaints.subjects import SubjectFilter, authorize, citizen, read_record
from stadskamer.complaints.workdays import local_date

STATS_ROLES = ("coordinator", "analyst")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_DUE_WITHIN_DAYS = 365
MAX_STATS_PERIOD = timedelta(days=5 * 366)
DEADLINE_CALLBACK, DEADLINE_DECISION = 1, 2
# A page token of one citizen's list is bound to the klachten pseudonym only in a keyed form.
PAGES = b"stadskamer/complaints/pages/v1"
_RUNNING = {
    DEADLINE_CALLBACK: ("callback_due", frozenset({Status.RECEIVED})),
    DEADLINE_DECISION: ("decision_due", OPEN_STATUSES),
}


@dataclass(frozen=True)
class ListQuery:
    """The filters and paging of ListComplaints; empty values mean "any"."""

    status: int = 0
    coordinator: str = ""
    org_unit: str = ""
    deadline: int = 0
    overdue: bool = False
    due_within_days: int | None = None
    page_size: int = 0
    page_token: str = ""
    subject: SubjectFilter = field(default_factory=SubjectFilter)
    start: datetime | None = None
    include_open: bool = False

    def fingerprint(self, citizen: str = "") -> str:
        """What a page token is bound to: every filter (``citizen`` keyed), not the paging."""
        return paging.fingerprint(
            self.status,
            self.coordinator,
            self.org_unit,
            self.deadline or DEADLINE_CALLBACK,
            self.overdue,
            self.due_within_days,
            citizen,
            to_us(self.start) if self.start else None,
            self.include_open,
        )


@dataclass(frozen=True)
class ComplaintPage:
    """One page of complaints (without texts) and the token of the next (empty on the last)."""

    complaints: list[Complaint]
    next_page_token: str


class ComplaintQueries:
    """The read use cases."""

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps
        self._records = Records(deps)

    def get(self, caller: Principal, name: str, case_number: str) -> Complaint:
        """One complaint by resource name or case number, with texts and history."""
        caller.require_domain(DOMAIN)
        caller.require_role(*COORDINATOR_ROLES)
        with self._deps.unit_of_work() as uow:
            repository = ComplaintRepository(uow.session)
            if name:
                record = repository.get(complaint_id(name))
            else:
                record = repository.by_case_number(case_number)
            if record is None:
                raise NotFound("no such complaint", "COMPLAINT_NOT_FOUND")
            complaint = self._records.open(repository, record)
        self._records.log(
            caller, "complaints.read", complaint, audit_subject=self._records.audit_subject(record)
        )
        return complaint

    def list(self, caller: Principal, query: ListQuery) -> ComplaintPage:
        """A page of complaints, oldest receipt first; every read is recorded.

        Filtered by citizen, the pseudonym is claimed (and a link grant spent) before the
        page is read; the record names the citizen, else the number of citizens listed.
        """
        if query.overdue and query.due_within_days is not None:
            raise InvalidArgument.for_field("due_within_days", "not together with overdue")
        if query.include_open and query.start is None:
            raise InvalidArgument.for_field("include_open", "only with start_time")
        grant = authorize(self._deps, caller, query.subject)
        who = citizen(self._deps, query.subject)
        keyed = ""
        if who is not None:
            keyed = KeyedDigest(self._deps.key.secret_key, PAGES).hex(who.pseudonym.hex())
        fingerprint = query.fingerprint(keyed)
        after = _cursor(paging.decode(query.page_token, fingerprint)) if query.page_token else None
        size = min(query.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        selection = replace(
            self._selection(query),
            subject=who.pseudonym if who else None,
            received_from=query.start,
            or_open=query.include_open,
        )
        with self._deps.unit_of_work() as uow:
            repository = ComplaintRepository(uow.session)
            if grant is not None and not repository.spend_grant(
                grant.grant_id, grant.expires_at, self._deps.clock()
            ):
                raise PermissionDenied(
                    "the link grant has been used already", "LINK_GRANT_REPLAYED"
                )
            rows = repository.page(selection, after, size + 1)
            found = [self._records.listed(r) for r in rows[:size]]
            if who is None:
                count = f"citizens={len({c.subject for c in found})}"
                self._records.log(caller, "complaints.list", None, reference=count)
            else:
                record = read_record(self._deps, caller, grant, who, len(found))
                self._deps.processing_log.append(record)
            uow.commit()
        token = ""
        if len(rows) > size:
            last = found[-1]
            token = paging.encode(fingerprint, (to_us(last.received_at), last.id))
        return ComplaintPage(found, token)

    def _selection(self, query: ListQuery) -> ComplaintFilter:
        statuses = frozenset({Status(query.status)}) if query.status else None
        column, running = _RUNNING[query.deadline or DEADLINE_CALLBACK]
        if not query.overdue and query.due_within_days is None:
            return ComplaintFilter(statuses, query.coordinator, query.org_unit)
        today = local_date(self._deps.clock())
        statuses = running if statuses is None else statuses & running
        if query.overdue:
            return ComplaintFilter(
                statuses, query.coordinator, query.org_unit, column, None, today - timedelta(1)
            )
        until = today + timedelta(days=query.due_within_days or 0)
        return ComplaintFilter(statuses, query.coordinator, query.org_unit, column, today, until)

    def stats(self, caller: Principal, start: datetime, end: datetime) -> ComplaintStats:
        """The figures over the complaints received in [start, end)."""
        caller.require_domain(DOMAIN)
        caller.require_role(*STATS_ROLES)
        if not start < end <= start + MAX_STATS_PERIOD:
            raise InvalidArgument.for_field("end_time", "after start_time, at most 5 years later")
        with self._deps.unit_of_work() as uow:
            rows = ComplaintRepository(uow.session).stats_rows(start, end)
        today = local_date(self._deps.clock())
        return complaint_stats(rows, start, end, today, self._deps.deadlines.callback_working_days)


def _cursor(position: paging.Position) -> Cursor:
    """The keyset cursor in a decoded page token (received_at in µs, complaint id)."""
    return Cursor(position[0], str(position[1]))
