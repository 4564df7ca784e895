"""Filing a complaint: validate, authorise, pseudonymise, then number and store it at once.

The polymorphic pseudonym is converted before the transaction opens, so a pseudonym service
that cannot be reached leaves nothing written. In the transaction the year's case counter is
incremented first (the first statement is a write: PostgreSQL locks the counter row, SQLite
takes its write lock), so concurrent filings get distinct, increasing numbers. The insert is
guarded by the unique request digest (the request_id is kept only as its keyed digest, see
:mod:`stadskamer.common.request_ids`): a concurrent retry loses, rolls back and returns the
complaint the winner stored. A processing-log record is made durable before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadskamer import pep
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import FieldViolation, InvalidArgument, Unavailable
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
from stadskamer.complaints.ports import EventEncoder, SubjectResolver
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

    ``grant_key`` is the consent service's public key that verifies link grants; without it
    no link grant is honoured.
    """

    unit_of_work: Callable[[], UnitOfWork]
    subjects: SubjectResolver
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

    def log(
        self,
        caller: Principal,
        operation: str,
        complaint: Complaint | None,
        status: str = "OK",
        polymorphic: bytes = b"",
    ) -> None:
        """Append the processing record of ``operation`` (fail-closed: Unavailable).

        ``polymorphic`` is the complainant's polymorphic pseudonym where the request carried
        one; it is rerandomized for the audit service and never stored by the local log.
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
                subject=complaint.subject.hex() if complaint else "",
                reference=complaint.name if complaint else "",
                subject_polymorphic=_rerandomized(polymorphic),
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
        pseudonym = self._deps.subjects.domain_pseudonym(draft.subject)
        complaint = self._new(caller, draft, pseudonym, now)
        record = self._sealed(complaint, digest)
        for _ in range(_ATTEMPTS):
            try:
                return Filed(self._store(caller, record, now, draft.subject), replayed=False)
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

    def _sealed(self, complaint: Complaint, request_digest: bytes) -> ComplaintRecord:
        """The record to store: the texts and the contact id sealed, the latter also keyed."""
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
        )

    def _store(
        self, caller: Principal, record: ComplaintRecord, now: datetime, polymorphic: bytes
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
            self._records.log(caller, "complaints.file", numbered, polymorphic=polymorphic)
            uow.commit()
        return numbered

    def _replay(self, caller: Principal, draft: inputs.Draft, digest: bytes) -> Filed | None:
        with self._deps.unit_of_work() as uow:
            repository = ComplaintRepository(uow.session)
            record = repository.by_request_digest(digest)
            if record is None:
                return None
            complaint = self._records.open(repository, record)
        self._records.log(caller, "complaints.file", complaint, "REPLAYED", draft.subject)
        return Filed(replace(complaint, request_id=draft.request_id), replayed=True)


def _rerandomized(polymorphic: bytes) -> bytes:
    """A fresh form of a polymorphic pseudonym; empty for none or a malformed one."""
    try:
        return pep.rerandomize(pep.Ciphertext.from_bytes(polymorphic)).to_bytes()
    except pep.InvalidEncodingError:
        return b""
