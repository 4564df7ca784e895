"""Use cases of the audit service: append, tree heads, proofs and the privacy officer's query."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum

from stadskamer.audit.activities import ActivityRegister
from stadskamer.audit.adapters.log_writer import Appended, LogWriter
from stadskamer.audit.adapters.record_queries import RecordQueries
from stadskamer.audit.adapters.tree_reader import TreeReader
from stadskamer.audit.domain import (
    LogRecord,
    NewRecord,
    ProcessingEntry,
    RecordFilter,
    Status,
    is_code,
)
from stadskamer.audit.merkle import EMPTY_ROOT
from stadskamer.audit.references import ReferenceKeys, key_domain
from stadskamer.audit.subjects import AuditSubjects
from stadskamer.audit.tree_heads import SignedTreeHead, TreeHeadSigner
from stadskamer.common import paging
from stadskamer.common.auth import Principal
from stadskamer.common.errors import FieldViolation, InvalidArgument, PermissionDenied
from stadskamer.common.processing_log import current_parent_operation_id
from stadskamer.common.telemetry import current_trace_ids

MAX_BATCH = 1000
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_QUERY_SUBJECTS = 32
SELF_REPORTER = "audit-service"
OWN_DOMAIN = "audit"


@dataclass(frozen=True)
class Report:
    """One record as a service reports it: the entry and its subject.

    ``subject_tagged`` is the tagged ``audit/<domain>`` pseudonym as handed out (or empty);
    ``subject_domain`` the redundant domain field (empty, or the tag's reporting domain);
    ``untagged`` names the refused contract field that carried a subject in another form.
    """

    entry: ProcessingEntry
    subject_tagged: bytes = b""
    subject_domain: str = ""
    untagged: str = ""


class QueryPurpose(Enum):
    """Why the privacy officer queries the log; the value is the operation name logged."""

    SUBJECT_ACCESS = "audit.subject-access"
    SUPERVISION = "audit.supervision"


@dataclass(frozen=True)
class ProcessingQuery:
    """A ListProcessing request: the filter, its subject (tagged, one per reporting domain)
    and reference (as given) still to be opened and keyed, and its purpose."""

    purpose: QueryPurpose
    subjects_tagged: tuple[bytes, ...] = ()
    reference: str = ""
    filter: RecordFilter = field(default_factory=RecordFilter)
    untagged: str = ""


@dataclass(frozen=True)
class Page:
    """One page of records (each with its leaf hash) and the next page's token."""

    records: list[tuple[LogRecord, bytes]]
    next_page_token: str


class ProcessingLogService:
    """The processing log's use cases."""

    def __init__(
        self,
        register: ActivityRegister,
        subjects: AuditSubjects,
        references: ReferenceKeys,
        writer: LogWriter,
        reader: TreeReader,
        queries: RecordQueries,
        signer: TreeHeadSigner,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._register = register
        self._subjects = subjects
        self._references = references
        self._writer = writer
        self._reader = reader
        self._queries = queries
        self._signer = signer
        self._clock = clock

    def append(self, caller: Principal, reports: Sequence[Report]) -> Appended:
        """Check a service's records, open their subjects, key their references, append."""
        caller.require_role("service")
        if not 1 <= len(reports) <= MAX_BATCH:
            raise InvalidArgument.for_field("records", f"give 1 to {MAX_BATCH} records")
        _require_code_subject(caller)
        _refuse_untagged([(f"records[{i}].", r.untagged) for i, r in enumerate(reports)])
        violations = [
            FieldViolation(f"records[{i}].{v.field}", v.description)
            for i, report in enumerate(reports)
            for v in report.entry.violations()
        ]
        if violations:
            raise InvalidArgument("invalid records", "INVALID_FIELD", violations=violations)
        records = []
        for index, report in enumerate(reports):
            subject = self._subject(report, f"records[{index}].")
            activity = self._register.for_operation(report.entry.name, f"records[{index}].name")
            entry = replace(
                report.entry,
                purpose=report.entry.purpose or activity.purpose,
                legal_basis=report.entry.legal_basis or activity.legal_basis,
                reference=self._references.kept(report.entry.reference, key_domain(report.entry)),
            )
            records.append(NewRecord(entry, activity.id, activity.version, subject, caller.subject))
        return self._writer.append(records)

    def _subject(self, report: Report, prefix: str) -> bytes:
        """The stored subject of a report (empty without one)."""
        if not report.subject_tagged:
            if report.subject_domain:
                raise InvalidArgument.for_field(
                    prefix + "subject_domain", "give it only with subject_tagged"
                )
            return b""
        subject = self._subjects.open(report.subject_tagged, prefix + "subject_tagged", late=True)
        if report.subject_domain and report.subject_domain != subject.domain:
            raise InvalidArgument.for_field(
                prefix + "subject_domain", "must be empty or the reporting domain of the tag"
            )
        return subject.pseudonym

    def tree_head(self) -> SignedTreeHead:
        """The newest signed head (a freshly signed one for the empty log)."""
        head = self._reader.latest()
        return head if head is not None else self._signer.sign(0, EMPTY_ROOT)

    def inclusion_proof(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """The leaf hash and inclusion path of leaf ``index`` in the tree of ``size``."""
        if not 0 <= index < size:
            raise InvalidArgument.for_field("leaf_index", "must be below tree_size")
        return self._reader.inclusion_proof(index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """The consistency path from the tree of ``first`` to the tree of ``second`` leaves."""
        if first < 1:
            raise InvalidArgument.for_field("first_size", "must be at least 1")
        if second < first:
            raise InvalidArgument.for_field("second_size", "must be at least first_size")
        return self._reader.consistency_proof(first, second)

    def list_processing(
        self, caller: Principal, query: ProcessingQuery, page_size: int, page_token: str
    ) -> Page:
        """A page of matching records, after appending the query itself to the log."""
        caller.require_role("privacy-officer")
        _require_code_subject(caller)
        _refuse_untagged([("filter.", query.untagged)])
        if len(query.subjects_tagged) > MAX_QUERY_SUBJECTS:
            raise InvalidArgument.for_field(
                "filter.subjects_tagged", f"give at most {MAX_QUERY_SUBJECTS}"
            )
        subjects = tuple(
            self._subjects.open(tagged, f"filter.subjects_tagged[{i}]").pseudonym
            for i, tagged in enumerate(query.subjects_tagged)
        )
        references: tuple[str, ...] = ()
        if query.reference:
            references = self._references.forms(query.reference, self._queries.domains())
        wanted = replace(query.filter, subjects=subjects, references=references)
        fingerprint = paging.fingerprint(
            b"".join(sorted(subjects)),
            wanted.actor,
            wanted.purpose,
            wanted.domain,
            wanted.from_time,
            wanted.until_time,
            query.reference,
        )
        if page_token:
            after, snapshot = paging.decode(page_token, fingerprint, int)
        else:
            after, snapshot = -1, self.tree_head().head.tree_size
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        found = self._queries.page(wanted, after, int(snapshot), size + 1)
        page = found[:size]
        self._writer.append([self._query_record(caller, query, wanted, page)])
        if len(found) <= size:
            return Page(page, "")
        return Page(page, paging.encode(fingerprint, (page[-1][0].index, snapshot)))

    def _query_record(
        self,
        caller: Principal,
        query: ProcessingQuery,
        wanted: RecordFilter,
        page: list[tuple[LogRecord, bytes]],
    ) -> NewRecord:
        """The log record of a privacy officer's query: about the citizen asked for (under the
        first pseudonym given), if any; else naming how many citizens the page shows."""
        name = query.purpose.value
        activity = self._register.for_operation(name)
        trace_id, operation_id = current_trace_ids()
        now = self._clock()
        entry = ProcessingEntry(
            record_id=uuid.uuid4().hex,
            trace_id=trace_id,
            operation_id=operation_id,
            parent_operation_id=current_parent_operation_id(),
            name=name,
            start_time=now,
            end_time=now,
            status=Status.OK,
            outcome="OK",
            purpose=activity.purpose,
            legal_basis=activity.legal_basis,
            actor=caller.subject,
            requester_domain=OWN_DOMAIN,
            target_domain=wanted.domain,
            basis="role:privacy-officer",
            reference="" if wanted.subjects else f"citizens={_citizens(page)}",
        )
        subject = wanted.subjects[0] if wanted.subjects else b""
        return NewRecord(entry, activity.id, activity.version, subject, SELF_REPORTER)


def _citizens(page: list[tuple[LogRecord, bytes]]) -> int:
    """How many citizens the records of a page are about, as the log tells them apart: by
    subject (one citizen's subjects of two reporting domains count twice)."""
    return len({record.subject for record, _ in page if record.subject})


def _refuse_untagged(fields: Sequence[tuple[str, str]]) -> None:
    """INVALID_ARGUMENT (``UNTAGGED_PSEUDONYM``) naming every refused subject field given."""
    violations = [
        FieldViolation(prefix + name, "refused: give the tagged pseudonym as handed out")
        for prefix, name in fields
        if name
    ]
    if violations:
        raise InvalidArgument(
            "only tagged pseudonyms are accepted", "UNTAGGED_PSEUDONYM", violations=violations
        )


def _require_code_subject(caller: Principal) -> None:
    if not is_code(caller.subject):
        raise PermissionDenied(
            "the caller's token subject is not a valid actor code", "INVALID_CALLER_SUBJECT"
        )
