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
from stadskamer.audit.ports import RejectedSubject, SubjectResolver
from stadskamer.audit.tree_heads import SignedTreeHead, TreeHeadSigner
from stadskamer.common import paging
from stadskamer.common.auth import Principal
from stadskamer.common.errors import FieldViolation, InvalidArgument, PermissionDenied
from stadskamer.common.processing_log import current_parent_operation_id
from stadskamer.common.telemetry import current_trace_ids

MAX_BATCH = 1000
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
SELF_REPORTER = "audit-service"
OWN_DOMAIN = "audit"


@dataclass(frozen=True)
class Report:
    """One record as a service reports it: the entry and its subject (polymorphic, or the
    encrypted pseudonym of ``subject_domain``)."""

    entry: ProcessingEntry
    subject_polymorphic: bytes = b""
    subject_encrypted: bytes = b""
    subject_domain: str = ""

    @property
    def subject(self) -> tuple[bytes, str]:
        """The subject ciphertext and its domain ("" for a polymorphic pseudonym)."""
        if self.subject_encrypted:
            return self.subject_encrypted, self.subject_domain
        return self.subject_polymorphic, ""


class QueryPurpose(Enum):
    """Why the privacy officer queries the log; the value is the operation name logged."""

    SUBJECT_ACCESS = "audit.subject-access"
    SUPERVISION = "audit.supervision"


@dataclass(frozen=True)
class ProcessingQuery:
    """A ListProcessing request: the filter (subject still polymorphic) and its purpose."""

    purpose: QueryPurpose
    subject_polymorphic: bytes = b""
    filter: RecordFilter = field(default_factory=RecordFilter)


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
        subjects: SubjectResolver,
        writer: LogWriter,
        reader: TreeReader,
        queries: RecordQueries,
        signer: TreeHeadSigner,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._register = register
        self._subjects = subjects
        self._writer = writer
        self._reader = reader
        self._queries = queries
        self._signer = signer
        self._clock = clock

    def append(self, caller: Principal, reports: Sequence[Report]) -> Appended:
        """Check, convert the subjects of and append a service's records."""
        caller.require_role("service")
        if not 1 <= len(reports) <= MAX_BATCH:
            raise InvalidArgument.for_field("records", f"give 1 to {MAX_BATCH} records")
        _require_code_subject(caller)
        violations = [
            FieldViolation(f"records[{i}].{v.field}", v.description)
            for i, report in enumerate(reports)
            for v in report.entry.violations()
        ]
        if violations:
            raise InvalidArgument("invalid records", "INVALID_FIELD", violations=violations)
        subjects = self._convert([r.subject for r in reports], "records[{}].")
        records = []
        for index, (report, subject) in enumerate(zip(reports, subjects, strict=True)):
            name_field = f"records[{index}].name"
            activity = self._register.for_operation(report.entry.name, name_field)
            entry = replace(
                report.entry,
                purpose=report.entry.purpose or activity.purpose,
                legal_basis=report.entry.legal_basis or activity.legal_basis,
            )
            records.append(NewRecord(entry, activity.id, activity.version, subject, caller.subject))
        return self._writer.append(records)

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
        wanted = query.filter
        if query.subject_polymorphic:
            (subject,) = self._convert([(query.subject_polymorphic, "")], "filter.")
            wanted = replace(wanted, subject=subject)
        fingerprint = paging.fingerprint(
            wanted.subject,
            wanted.actor,
            wanted.purpose,
            wanted.domain,
            wanted.from_time,
            wanted.until_time,
        )
        if page_token:
            after, snapshot = paging.decode(page_token, fingerprint, int)
        else:
            after, snapshot = -1, self.tree_head().head.tree_size
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        found = self._queries.page(wanted, after, int(snapshot), size + 1)
        self._writer.append([self._query_record(caller, query, wanted)])
        if len(found) <= size:
            return Page(found, "")
        found = found[:size]
        return Page(found, paging.encode(fingerprint, (found[-1][0].index, snapshot)))

    def _convert(self, subjects: list[tuple[bytes, str]], prefix: str) -> list[bytes]:
        """Audit pseudonyms for the non-empty subjects (empty stays empty)."""
        positions = [i for i, (subject, _) in enumerate(subjects) if subject]
        if not positions:
            return [b""] * len(subjects)
        try:
            converted = self._subjects.audit_pseudonyms([subjects[i] for i in positions])
        except RejectedSubject as rejected:
            index = positions[rejected.index]
            field = "subject_encrypted" if subjects[index][1] else "subject_polymorphic"
            raise InvalidArgument.for_field(
                prefix.format(index) + field,
                "not a pseudonym of this deployment",
                rejected.reason,
            ) from None
        result = [b""] * len(subjects)
        for position, subject in zip(positions, converted, strict=True):
            result[position] = subject
        return result

    def _query_record(
        self, caller: Principal, query: ProcessingQuery, wanted: RecordFilter
    ) -> NewRecord:
        """The log record of a privacy officer's query (about the filter's subject, if any)."""
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
        )
        return NewRecord(entry, activity.id, activity.version, wanted.subject, SELF_REPORTER)


def _require_code_subject(caller: Principal) -> None:
    if not is_code(caller.subject):
        raise PermissionDenied(
            "the caller's token subject is not a valid actor code", "INVALID_CALLER_SUBJECT"
        )
