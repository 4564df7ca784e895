"""The processing log: one record for every processing of personal data, written first.

Until the audit service exists (issue "processing log") every service appends to a
:class:`ProcessingLog`. The local implementation is an append-only JSON-lines file per service
(``<data-dir>/processing-log/<service>.jsonl``; in a cluster the folder is named by
``STADSKAMER_PROCESSING_LOG_DIR``), written, flushed and fsynced per record.

Fail-closed: :meth:`ProcessingLog.append` raises :class:`~stadskamer.common.errors.Unavailable`
when the record cannot be made durable, and the caller must then not hand out data nor commit
a change (append before returning data, and before committing a write).

A record holds identifiers and codes only: the subject is an opaque domain pseudonym in hex
(never a BSN), and no field carries free text. :class:`ProcessingRecord` refuses a subject
that is not 64 hex digits and fields longer than a code or identifier.

For the audit service (:class:`stadskamer.common.remote_processing_log.RemoteProcessingLog`)
a record carries its subject as ``subject_tagged``: the tagged ``audit/<domain>`` pseudonym
the pseudonym service handed out with a claim (or for a stored reference). It is sent, never
stored: the JSON-lines file leaves it out.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry.trace import SpanContext

from stadskamer.common.errors import Unavailable
from stadskamer.common.file_modes import create_private_folders, open_private
from stadskamer.common.telemetry import current_trace_ids

_SUBJECT = re.compile(r"^(?:[0-9a-f]{64})?$")
_RECORD_ID = re.compile(r"^(?:[0-9a-f]{32})?$")
_TEXT_FIELDS = (
    "name",
    "status",
    "purpose",
    "legal_basis",
    "actor",
    "requester_domain",
    "target_domain",
    "basis",
    "reference",
)
MAX_FIELD_LENGTH = 255


@dataclass(frozen=True)
class ProcessingRecord:
    """One processing: what was done, for whom, on which basis, in which trace.

    ``name`` is a dotted operation name (e.g. ``consent.grant``, ``link-grant.issue``,
    ``pseudonyms.transcrypt``); ``status`` a code such as ``OK``, ``DENIED`` or ``REPLAYED``;
    ``basis`` the consent name or policy rule used; ``reference`` an identifier of what was
    produced (a consent name, a link-grant id). ``subject`` is a 32-byte domain pseudonym as
    64 hex digits, or empty.

    Optional, for the audit service: ``record_id`` (32 hex digits; the idempotency key, made
    by the remote log when empty), ``parent_operation_id`` (the parent span id, 8 bytes),
    ``end_time`` (when the processing ended; empty: when the record is sent) and
    ``subject_tagged``: the tagged ``audit/<domain>`` pseudonym from the pseudonym service,
    exactly as handed out.
    """

    trace_id: bytes
    operation_id: bytes
    name: str
    time: datetime
    status: str
    purpose: str = ""
    legal_basis: str = ""
    actor: str = ""
    requester_domain: str = ""
    target_domain: str = ""
    basis: str = ""
    subject: str = ""
    reference: str = ""
    record_id: str = ""
    parent_operation_id: bytes = b""
    end_time: datetime | None = None
    subject_tagged: bytes = b""

    def __post_init__(self) -> None:
        if len(self.trace_id) != 16 or len(self.operation_id) != 8:
            raise ValueError("trace_id must be 16 bytes and operation_id 8 bytes")
        if not self.name or self.time.tzinfo is None:
            raise ValueError("a processing record needs a name and a timezone-aware time")
        if not _SUBJECT.match(self.subject):
            raise ValueError("subject must be a domain pseudonym in hex (64 digits) or empty")
        if not _RECORD_ID.match(self.record_id):
            raise ValueError("record_id must be 32 lowercase hex digits or empty")
        if len(self.parent_operation_id) not in (0, 8):
            raise ValueError("parent_operation_id must be 8 bytes or empty")
        if self.end_time is not None and self.end_time.tzinfo is None:
            raise ValueError("end_time must be timezone-aware")
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if len(value) > MAX_FIELD_LENGTH:
                raise ValueError(f"{name} is longer than {MAX_FIELD_LENGTH} characters")

    @classmethod
    def now(
        cls,
        name: str,
        status: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        **fields: Any,
    ) -> ProcessingRecord:
        """A record stamped with ``clock()`` and the current trace, span and parent span ids."""
        trace_id, operation_id = current_trace_ids()
        fields.setdefault("parent_operation_id", current_parent_operation_id())
        return cls(trace_id, operation_id, name, clock(), status, **fields)

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object (ids in hex, times in ISO 8601 UTC).

        ``subject_tagged`` is left out: the tagged pseudonym is sent, never stored.
        """
        document = asdict(self)
        del document["subject_tagged"]
        document["trace_id"] = self.trace_id.hex()
        document["operation_id"] = self.operation_id.hex()
        document["parent_operation_id"] = self.parent_operation_id.hex()
        document["time"] = self.time.astimezone(UTC).isoformat()
        if self.end_time is not None:
            document["end_time"] = self.end_time.astimezone(UTC).isoformat()
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ProcessingRecord:
        """Read a record written by :meth:`to_json`."""
        values = dict(document)
        values["trace_id"] = bytes.fromhex(values["trace_id"])
        values["operation_id"] = bytes.fromhex(values["operation_id"])
        values["time"] = datetime.fromisoformat(values["time"])
        values["parent_operation_id"] = bytes.fromhex(values.get("parent_operation_id", ""))
        if values.get("end_time") is not None:
            values["end_time"] = datetime.fromisoformat(values["end_time"])
        return cls(**values)


def current_parent_operation_id() -> bytes:
    """The span id of the current span's parent (8 bytes), or empty when there is none."""
    parent = getattr(trace.get_current_span(), "parent", None)
    if isinstance(parent, SpanContext) and parent.is_valid:
        return parent.span_id.to_bytes(8, "big")
    return b""


class ProcessingLog(Protocol):
    """Where processing records go. ``append`` returns only once the record is durable."""

    def append(self, record: ProcessingRecord) -> None:
        """Store one record durably or raise ``Unavailable``."""


@dataclass
class JsonLinesProcessingLog:
    """An append-only JSON-lines file (mode 0600): one line per record, fsynced before returning."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_service(cls, folder: Path, service: str) -> JsonLinesProcessingLog:
        """The log file of ``service`` under ``folder`` (``<folder>/<service>.jsonl``)."""
        return cls(folder / f"{service}.jsonl")

    def append(self, record: ProcessingRecord) -> None:
        """Write, flush and fsync one line; ``Unavailable`` if any step fails."""
        line = json.dumps(record.to_json(), sort_keys=True, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                create_private_folders(self.path.parent)
                descriptor = open_private(self.path, os.O_WRONLY | os.O_APPEND)
                with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
                    handle.write(line)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError:
                raise Unavailable(
                    "the processing log cannot be written", "PROCESSING_LOG_UNAVAILABLE"
                ) from None

    def read(self) -> list[ProcessingRecord]:
        """Every record, oldest first (for the privacy officer's tools and tests)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [ProcessingRecord.from_json(json.loads(line)) for line in handle if line.strip()]


class RecordIdTaken(Exception):
    """The log holds another record under a ``record_id`` this append reused.

    A caller that derives record ids from its own idempotency key (one record per request)
    reads this as "this request was recorded by an earlier attempt".
    """


def append_all(log: ProcessingLog, records: list[ProcessingRecord]) -> None:
    """Append several records, in one call where the log supports batches."""
    many = getattr(log, "append_many", None)
    if many is not None:
        many(records)
        return
    for record in records:
        log.append(record)


def rerandomized(polymorphic: bytes) -> bytes:
    """A fresh-looking copy of a polymorphic pseudonym, for ``subject_polymorphic``."""
    from stadskamer import pep

    return pep.rerandomize(pep.Ciphertext.from_bytes(polymorphic)).to_bytes()
