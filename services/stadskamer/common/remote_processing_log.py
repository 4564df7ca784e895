"""The processing log of the audit service: :class:`ProcessingLog` over gRPC, fail-closed.

A service that processes personal data appends its records with
``ProcessingLogService.AppendRecords`` under its own service token (role ``service``).
``append`` returns once the audit service has stored the record durably and signed a tree
head over it; otherwise it raises :class:`~stadskamer.common.errors.Unavailable`, whether the
audit service cannot be reached (reason ``PROCESSING_LOG_UNAVAILABLE``) or refuses the record
(``PROCESSING_LOG_REFUSED``), so the calling RPC fails with UNAVAILABLE and hands out nothing.

Mapping of :class:`ProcessingRecord`: ``time`` is the start time; ``end_time`` defaults to the
time of sending; ``status`` becomes the outcome code, and the status is OK for ``OK`` and
``REPLAYED``, ERROR for any other code. The subject is sent only as ``subject_tagged`` (the
tagged ``audit/<domain>`` pseudonym the pseudonym service handed out), which the audit service
verifies and decrypts; the ``subject`` field (the reporter's own domain pseudonym) is not
sent, so a record with only that has an empty subject in the audit log. ``record_id`` is the
idempotency key: a record without one gets a random one, kept across the one retry made after
UNAVAILABLE.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import grpc
from google.protobuf import any_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.common.errors import Unavailable
from stadskamer.common.peers import TokenSource, peer_channel
from stadskamer.common.processing_log import ProcessingRecord, RecordIdTaken

SUCCESSFUL_OUTCOMES = frozenset({"OK", "REPLAYED"})
_RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
_log = logging.getLogger("stadskamer.processing_log")


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def to_message(record: ProcessingRecord, sent_at: datetime) -> pb.ProcessingRecord:
    """The AppendRecords form of a record (see the module docstring for the mapping)."""
    ok = record.status in SUCCESSFUL_OUTCOMES
    return pb.ProcessingRecord(
        record_id=record.record_id or uuid.uuid4().hex,
        trace_id=record.trace_id,
        operation_id=record.operation_id,
        parent_operation_id=record.parent_operation_id,
        name=record.name,
        start_time=_timestamp(record.time),
        end_time=_timestamp(record.end_time or max(sent_at, record.time)),
        status=pb.PROCESSING_STATUS_OK if ok else pb.PROCESSING_STATUS_ERROR,
        outcome=record.status,
        purpose=record.purpose,
        legal_basis=record.legal_basis,
        actor=record.actor,
        requester_domain=record.requester_domain,
        target_domain=record.target_domain,
        basis=record.basis,
        reference=record.reference,
        subject_tagged=record.subject_tagged,
    )


class RemoteProcessingLog:
    """Implements :class:`~stadskamer.common.processing_log.ProcessingLog` with the audit
    service; ``channel`` must carry the service's token (see :meth:`connect`)."""

    def __init__(
        self,
        channel: grpc.Channel,
        timeout: float = 5.0,
        attempts: int = 2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._channel = channel
        self._stub = pb_grpc.ProcessingLogServiceStub(channel)
        self._timeout = timeout
        self._attempts = max(1, attempts)
        self._clock = clock

    @classmethod
    def connect(cls, address: str, token: TokenSource, timeout: float = 5.0) -> RemoteProcessingLog:
        """A log reaching the audit service at ``address`` with the service's token."""
        return cls(peer_channel(address, token), timeout)

    def append(self, record: ProcessingRecord) -> None:
        """Store one record durably in the audit log or raise ``Unavailable``."""
        self.append_many([record])

    def append_many(self, records: Sequence[ProcessingRecord]) -> list[int]:
        """Store records in one request (at most 1000); their leaf indexes, in order.

        Raises :class:`RecordIdTaken` when the log holds another record under one of the
        record ids (nothing of this request is stored then), ``Unavailable`` otherwise.
        """
        sent_at = self._clock()
        request = pb.AppendRecordsRequest(records=[to_message(r, sent_at) for r in records])
        attempt = 1
        while True:
            try:
                return list(self._stub.AppendRecords(request, timeout=self._timeout).leaf_indexes)
            except grpc.RpcError as error:
                code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
                if code == grpc.StatusCode.ALREADY_EXISTS and _reason(error) == "RECORD_ID_REUSED":
                    raise RecordIdTaken("a record id of this append names another record") from None
                if code not in _RETRYABLE or attempt >= self._attempts:
                    raise _failure(error, code) from None
                attempt += 1

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()


def _failure(error: grpc.RpcError, code: grpc.StatusCode) -> Unavailable:
    """The fail-closed error for an append that did not succeed."""
    if code in _RETRYABLE:
        _log.warning("processing log unreachable code=%s", code.name)
        return Unavailable("the processing log is unavailable", "PROCESSING_LOG_UNAVAILABLE")
    reason = _reason(error)
    _log.warning("processing log refused a record code=%s reason=%s", code.name, reason)
    return Unavailable(
        "the processing log refused the record",
        "PROCESSING_LOG_REFUSED",
        {"code": code.name, "reason": reason},
    )


def _reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error) if isinstance(error, grpc.Call) else None
    details: list[any_pb2.Any] = list(status.details) if status else []
    for detail in details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return "UNSPECIFIED"
