"""The gRPC servicer of the audit service: converts proto ⇄ domain, holds no rule."""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.audit import messages
from stadskamer.audit.domain import is_code
from stadskamer.audit.service import (
    MAX_BATCH,
    MAX_QUERY_SUBJECTS,
    ProcessingLogService,
    ProcessingQuery,
    QueryPurpose,
    Report,
)
from stadskamer.common.auth import current_principal
from stadskamer.common.errors import FieldViolation
from stadskamer.common.interceptors import Validator

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ProcessingLogService"].full_name
_MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z
MAX_TAGGED_BYTES = 1024  # a tagged pseudonym is about 250 bytes
_PURPOSES = {
    pb.QUERY_PURPOSE_SUBJECT_ACCESS: QueryPurpose.SUBJECT_ACCESS,
    pb.QUERY_PURPOSE_SUPERVISION: QueryPurpose.SUPERVISION,
}


def _time_violation(stamp: Timestamp, field: str) -> list[FieldViolation]:
    if not 0 <= stamp.seconds <= _MAX_SECONDS or not 0 <= stamp.nanos < 1_000_000_000:
        return [FieldViolation(field, "must be a time between 1970 and 9999")]
    return []


def _record_violations(record: pb.ProcessingRecord, prefix: str) -> list[FieldViolation]:
    found = []
    for name, sizes in (
        ("trace_id", (16,)),
        ("operation_id", (8,)),
        ("parent_operation_id", (0, 8)),
    ):
        if len(getattr(record, name)) not in sizes:
            found.append(
                FieldViolation(f"{prefix}{name}", f"must be {' or '.join(map(str, sizes))} bytes")
            )
    for name in ("record_id", "name"):
        if not getattr(record, name):
            found.append(FieldViolation(f"{prefix}{name}", "required"))
    if not record.HasField("start_time"):
        found.append(FieldViolation(f"{prefix}start_time", "required"))
    found += _time_violation(record.start_time, f"{prefix}start_time")
    found += _time_violation(record.end_time, f"{prefix}end_time")
    if record.status not in (pb.PROCESSING_STATUS_OK, pb.PROCESSING_STATUS_ERROR):
        found.append(FieldViolation(f"{prefix}status", "must be OK or ERROR"))
    if len(record.subject_tagged) > MAX_TAGGED_BYTES:
        found.append(FieldViolation(f"{prefix}subject_tagged", "too long for a tagged pseudonym"))
    return found


def _untagged(record: pb.ProcessingRecord) -> str:
    """The refused subject field a record sets, if any (the service refuses it by name)."""
    for name in ("subject_polymorphic", "subject_encrypted"):
        if getattr(record, name):
            return name
    return ""


def _append_violations(request: pb.AppendRecordsRequest) -> Iterable[FieldViolation]:
    if not 1 <= len(request.records) <= MAX_BATCH:
        return [FieldViolation("records", f"give 1 to {MAX_BATCH} records")]
    found: list[FieldViolation] = []
    for index, record in enumerate(request.records):
        found += _record_violations(record, f"records[{index}].")
    return found


def _inclusion_violations(request: pb.GetInclusionProofRequest) -> Iterable[FieldViolation]:
    if request.tree_size < 1:
        return [FieldViolation("tree_size", "must be at least 1")]
    if request.leaf_index >= request.tree_size:
        return [FieldViolation("leaf_index", "must be below tree_size")]
    return []


def _consistency_violations(request: pb.GetConsistencyProofRequest) -> Iterable[FieldViolation]:
    if request.first_size < 1:
        return [FieldViolation("first_size", "must be at least 1")]
    if request.second_size < request.first_size:
        return [FieldViolation("second_size", "must be at least first_size")]
    return []


def _list_violations(request: pb.ListProcessingRequest) -> Iterable[FieldViolation]:
    found = []
    if request.query_purpose not in _PURPOSES:
        found.append(FieldViolation("query_purpose", "say why: SUBJECT_ACCESS or SUPERVISION"))
    if request.page_size < 0:
        found.append(FieldViolation("page_size", "must not be negative"))
    shown = request.filter
    if len(shown.subjects_tagged) > MAX_QUERY_SUBJECTS:
        found.append(FieldViolation("filter.subjects_tagged", f"at most {MAX_QUERY_SUBJECTS}"))
    for index, tagged in enumerate(shown.subjects_tagged):
        if not tagged or len(tagged) > MAX_TAGGED_BYTES:
            found.append(
                FieldViolation(f"filter.subjects_tagged[{index}]", "not a tagged pseudonym")
            )
    if shown.reference and not is_code(shown.reference):
        found.append(FieldViolation("filter.reference", "must be a reference as services name it"))
    found += _time_violation(shown.from_time, "filter.from_time")
    found += _time_violation(shown.until_time, "filter.until_time")
    both = shown.HasField("from_time") and shown.HasField("until_time")
    if both and shown.until_time.ToNanoseconds() <= shown.from_time.ToNanoseconds():
        found.append(FieldViolation("filter.until_time", "must lie after from_time"))
    return found


VALIDATORS: dict[str, Validator] = {
    f"/{SERVICE_NAME}/AppendRecords": _append_violations,
    f"/{SERVICE_NAME}/GetInclusionProof": _inclusion_violations,
    f"/{SERVICE_NAME}/GetConsistencyProof": _consistency_violations,
    f"/{SERVICE_NAME}/ListProcessing": _list_violations,
}


class ProcessingLogServicer(pb_grpc.ProcessingLogServiceServicer):
    """Maps the ProcessingLogService RPCs onto :class:`ProcessingLogService`."""

    def __init__(self, service: ProcessingLogService) -> None:
        self._service = service

    def AppendRecords(
        self, request: pb.AppendRecordsRequest, context: grpc.ServicerContext
    ) -> pb.AppendRecordsResponse:
        """Append a batch of records."""
        reports = [
            Report(messages.entry_from_proto(r), r.subject_tagged, r.subject_domain, _untagged(r))
            for r in request.records
        ]
        appended = self._service.append(current_principal(), reports)
        return pb.AppendRecordsResponse(
            leaf_indexes=appended.indexes, tree_head=messages.tree_head(appended.head)
        )

    def GetTreeHead(
        self, request: pb.GetTreeHeadRequest, context: grpc.ServicerContext
    ) -> pb.SignedTreeHead:
        """The newest signed tree head."""
        return messages.tree_head(self._service.tree_head())

    def GetInclusionProof(
        self, request: pb.GetInclusionProofRequest, context: grpc.ServicerContext
    ) -> pb.GetInclusionProofResponse:
        """An inclusion proof."""
        leaf, path = self._service.inclusion_proof(request.leaf_index, request.tree_size)
        return pb.GetInclusionProofResponse(
            leaf_index=request.leaf_index,
            tree_size=request.tree_size,
            leaf_hash=leaf,
            inclusion_path=path,
        )

    def GetConsistencyProof(
        self, request: pb.GetConsistencyProofRequest, context: grpc.ServicerContext
    ) -> pb.GetConsistencyProofResponse:
        """A consistency proof."""
        path = self._service.consistency_proof(request.first_size, request.second_size)
        return pb.GetConsistencyProofResponse(
            first_size=request.first_size,
            second_size=request.second_size,
            consistency_path=path,
        )

    def ListProcessing(
        self, request: pb.ListProcessingRequest, context: grpc.ServicerContext
    ) -> pb.ListProcessingResponse:
        """The privacy officer's query."""
        shown = request.filter
        query = ProcessingQuery(
            purpose=_PURPOSES[request.query_purpose],
            subjects_tagged=tuple(shown.subjects_tagged),
            reference=shown.reference,
            filter=messages.record_filter(shown),
            untagged="subject_polymorphic" if shown.subject_polymorphic else "",
        )
        page = self._service.list_processing(
            current_principal(), query, request.page_size, request.page_token
        )
        return pb.ListProcessingResponse(
            records=[messages.logged_record(record, leaf) for record, leaf in page.records],
            next_page_token=page.next_page_token,
        )
