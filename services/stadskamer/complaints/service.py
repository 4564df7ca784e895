"""Filing a complaint: validate, authorise, claim the citizen, then number and store it at once.

The complainant's tagged klachten pseudonym is claimed before the transaction opens
(:func:`stadskamer.common.citizens.claim`), so a pseudonym service that cannot be reached, or
refuses it, leaves nothing written; the complaint keeps the klachten pseudonym and the stored
reference the claim gave (to name the complainant in later records and events). In the
transaction the year's case counter is incremented first (the first statement is a write:
PostgreSQL locks the counter row, SQLite takes its write lock), so concurrent filings get
distinct, increasing numbers. The insert is guarded by the unique request digest (the
request_id is kept only as its keyed digest, see :mod:`stadskamer.common.request_ids`): a
concurrent retry loses, rolls back and returns the complaint the winner stored (one that
finds the pseudonym already claimed by the winner answers the same, once the winner has
stored it). A processing-log record is made durable before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadskamer.client import DomainKey
from stadskamer.common import citizens
from stadskamer.common.auth import Principal
from stadskamer.common.citizens import Citizen
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import (
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    Unavailable,
)
from stadskamer.common.processing_log import ProcessingLog, ProcessingRecord
from stadskamer.common.request_ids import RequestDigest
from stadskamer.complaints import inputs
from stadskamer.complaints.adapters.records import AssignmentRecord, ComplaintRecord
from stadskamer.complaints.adapters.repository import ComplaintRepository, DuplicateRequest
from stadskamer.complaints.deadlines import DeadlinePolicy
from stadskamer.complaints.domain import (
    DOMAIN,
    Assignment,
    Channel,
    Complaint,
    Status,
    format_case_number,
)
from stadskamer.complaints.ports import EventEncoder, Pseudonyms
from stadskamer.complaints.routing import RoutingTable
from stadskamer.complaints.texts import (
    TextCipher,
    assignment_context,
    contact_context,
    description_context,
    extension_context,
)
from stadskamer.complaints.workdays import local_date

FILE_ROLES = ("agent", "system", "service")
PURPOSE = "complaint-handling"
LEGAL_BASIS = "AVG art. 6 lid 1 sub e (publieke taak); Awb hoofdstuk 9"
_ATTEMPTS = 5
TAG_SPENT = "TAG_SPENT"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def invalid(found: Iterable[tuple[str, str]], what: str) -> None:
    """Raise INVALID_ARGUMENT naming every violated field, if there is any."""
    violations = [FieldViolation(name, text) for name, text in found]
    if violations:
        names = ", ".join(v.field for v in violations)
        raise InvalidArgument(f"invalid {what}: {names}", "INVALID_FIELD", violations=violations)


@dataclass(frozen=True)
class Dependencies:
    """What the use cases work with, wired by ``bootstrap`` (fakes in tests).

    ``key`` is the klachten domain key (it opens claimed pseudonyms); ``grant_key`` is the
    consent service's public key that verifies link grants; without it no link grant is
    honoured.
    """

    unit_of_work: Callable[[], UnitOfWork]
    pseudonyms: Pseudonyms
    key: DomainKey
    cipher: TextCipher
    processing_log: ProcessingLog
    events: EventEncoder
    deadlines: DeadlinePolicy
    routing: RoutingTable
    request_digest: RequestDigest
    key_version: str = "v1"
    on_event: Callable[[], None] = lambda: None
    clock: Clock = utc_now
    grant_key: Ed25519PublicKey | None = None


@dataclass(frozen=True)
class Filed:
    """The result of FileComplaint: the complaint (the first one on a retry)."""

    complaint: Complaint
    replayed: bool


class Records:
    """Opening stored complaints and writing processing records (shared by the use cases)."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    def listed(self, record: ComplaintRecord) -> Complaint:
        """The complaint as a list shows it: the contact id opened, the texts left empty."""
        complaint = record.complaint
        if record.contact_sealed is None:
            return complaint
        contact = self.deps.cipher.open(record.contact_sealed, contact_context(complaint.id))
        return replace(complaint, contact_id=contact)

    def open(self, repository: ComplaintRepository, record: ComplaintRecord) -> Complaint:
        """The complaint with its texts decrypted and its assignment history."""
        complaint = record.complaint
        cipher = self.deps.cipher
        history = tuple(
            Assignment(
                a.coordinator,
                ""
                if a.reason_sealed is None
                else cipher.open(a.reason_sealed, assignment_context(complaint.id, a.sequence)),
                a.assigned_by,
                a.assigned_at,
            )
            for a in repository.assignments(complaint.id)
        )
        extension = record.extension_reason_sealed
        return replace(
            self.listed(record),
            description=cipher.open(record.description_sealed, description_context(complaint.id)),
            extension_reason=(
                "" if extension is None else cipher.open(extension, extension_context(complaint.id))
            ),
            assignments=history,
        )

    def audit_subject(self, record: ComplaintRecord) -> bytes:
        """The record subject of a stored complaint's complainant (empty without a reference:
        a complaint filed before references were kept)."""
        if record.subject_reference is None:
            return b""
        (subject,) = self.deps.pseudonyms.report_subjects([record.subject_reference])
        return subject

    def log(
        self,
        caller: Principal,
        operation: str,
        complaint: Complaint | None,
        status: str = "OK",
        audit_subject: bytes = b"",
        reference: str = "",
    ) -> None:
        """Append the processing record of ``operation`` (fail-closed: Unavailable).

        ``audit_subject`` names the complainant (tagged ``audit/klachten``: from the claim of
        the request's pseudonym, or :meth:`audit_subject` of the stored complaint).
        """
        self.deps.processing_log.append(
            ProcessingRecord.now(
                operation,
                status,
                self.deps.clock,
                purpose=PURPOSE,
                legal_basis=LEGAL_BASIS,
                actor=caller.subject[:255],
                requester_domain=DOMAIN,
                target_domain=DOMAIN,
                reference=reference or (complaint.name if complaint else ""),
                subject_tagged=audit_subject,
            )
        )


class FilingService:
    """FileComplaint."""

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps
        self._records = Records(deps)

    def file(self, caller: Principal, draft: inputs.Draft) -> Filed:
        """Register one complaint; a retry with the same request_id returns the first one."""
        now = self._deps.clock()
        invalid(
            [
                *inputs.draft_violations(draft),
                *inputs.moment_violations("receive_time", draft.received_at, now),
            ],
            "complaint",
        )
        caller.require_domain(DOMAIN)
        caller.require_role(*FILE_ROLES)
        digest = self._deps.request_digest(draft.request_id)
        earlier = self._replay(caller, draft, digest)
        if earlier is not None:
            return earlier
        try:
            citizen = citizens.claim(self._deps.pseudonyms, draft.subject, self._deps.key)
        except PermissionDenied as refusal:
            # A concurrent retry with the same bytes claimed them first: answer as a replay.
            earlier = self._replay(caller, draft, digest) if refusal.reason == TAG_SPENT else None
            if earlier is None:
                raise
            return earlier
        complaint = self._new(caller, draft, citizen.pseudonym, now)
        record = self._sealed(complaint, citizen, digest)
        for _ in range(_ATTEMPTS):
            try:
                return Filed(self._store(caller, record, now, citizen), replayed=False)
            except DuplicateRequest:
                earlier = self._replay(caller, draft, digest)
                if earlier is not None:
                    return earlier
        raise Unavailable("too many concurrent filings; retry", "CONTENTION")

    def _new(
        self, caller: Principal, draft: inputs.Draft, pseudonym: bytes, now: datetime
    ) -> Complaint:
        received = draft.received_at or now
        coordinator = self._deps.routing.coordinator_for(draft.org_unit)
        deadlines = self._deps.deadlines
        return Complaint(
            id=str(uuid4()),
            case_number="",
            request_id=draft.request_id,
            subject=pseudonym,
            channel=Channel(draft.channel),
            received_at=received,
            org_unit=draft.org_unit,
            about_official=draft.about_official,
            description=draft.description,
            contact_id=draft.contact_id,
            status=Status.RECEIVED,
            coordinator=coordinator,
            callback_due=deadlines.callback_due(received),
            decision_due=deadlines.decision_due(received, False, False),
            created_at=now,
            updated_at=now,
            assignments=(Assignment(coordinator, "", caller.subject[:255], now),),
        )

    def _sealed(
        self, complaint: Complaint, citizen: Citizen, request_digest: bytes
    ) -> ComplaintRecord:
        """The record to store: the texts and the contact id sealed, the latter also keyed,
        and the complainant's stored reference."""
        cipher = self._deps.cipher
        description = cipher.seal(complaint.description, description_context(complaint.id))
        contact = complaint.contact_id
        return ComplaintRecord(
            complaint,
            description,
            None,
            self._deps.key_version,
            request_digest,
            cipher.contact_reference(contact) if contact else None,
            cipher.seal(contact, contact_context(complaint.id)) if contact else None,
            citizen.reference,
        )

    def _store(
        self, caller: Principal, record: ComplaintRecord, now: datetime, citizen: Citizen
    ) -> Complaint:
        complaint = record.complaint
        year = local_date(now).year
        with self._deps.unit_of_work() as uow:
            repository = ComplaintRepository(uow.session)
            number = format_case_number(year, repository.next_case_number(year))
            numbered = replace(complaint, case_number=number)
            repository.add(replace(record, complaint=numbered))
            first = numbered.assignments[0]
            repository.add_assignment(
                numbered.id,
                AssignmentRecord(1, first.coordinator, None, first.assigned_by, first.assigned_at),
            )
            self._records.log(
                caller, "complaints.file", numbered, audit_subject=citizen.audit_subject
            )
            uow.commit()
        return numbered

    def _replay(self, caller: Principal, draft: inputs.Draft, digest: bytes) -> Filed | None:
        with self._deps.unit_of_work() as uow:
            repository = ComplaintRepository(uow.session)
            record = repository.by_request_digest(digest)
            if record is None:
                return None
            complaint = self._records.open(repository, record)
        subject = self._records.audit_subject(record)
        self._records.log(caller, "complaints.file", complaint, "REPLAYED", subject)
        return Filed(replace(complaint, request_id=draft.request_id), replayed=True)
