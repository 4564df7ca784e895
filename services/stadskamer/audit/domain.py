"""The processing log's records after the Logboek Dataverwerkingen standard, and their leaf form.

Plain Python: no gRPC, no SQL. A reporter's :class:`ProcessingEntry` holds codes and
identifiers only; the text fields are checked against a code alphabet (the legal basis against
a slightly wider label alphabet), so no free text and no personal data can enter the log. The
log stores a :class:`LogRecord`: the entry (its reference keyed, see
:mod:`stadskamer.audit.references`) with its leaf index, processing activity, the subject's
pseudonym in its reporting domain's ``audit/<domain>``, the reporting service and the time it
was stored.

The leaf data is a canonical serialisation: compact JSON with sorted keys, ASCII only, bytes
as lowercase hex and times as whole microseconds since the epoch (UTC). The same record always
gives the same bytes, so ``audit verify`` can recompute every leaf hash from the stored data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from stadskamer.common.errors import FieldViolation, InvalidArgument

LEAF_VERSION = 1
SUBJECT_BYTES = 32
MAX_TEXT = 255
_RECORD_ID = re.compile(r"^[0-9a-f]{32}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+,=-]*$")
_LABEL = re.compile(r"^[\w .,;:()/§'+-]*$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CODE_FIELDS = (
    "name",
    "outcome",
    "purpose",
    "actor",
    "requester_domain",
    "target_domain",
    "basis",
    "reference",
)


def is_code(text: str) -> bool:
    """Whether ``text`` is a non-empty code of at most 255 characters (no free text)."""
    return len(text) <= MAX_TEXT and bool(_CODE.match(text))


class Status(Enum):
    """Whether a processing succeeded (the OpenTelemetry span status)."""

    OK = "OK"
    ERROR = "ERROR"


@dataclass(frozen=True)
class ProcessingEntry:
    """One processing as a service reports it (without its subject)."""

    record_id: str
    trace_id: bytes
    operation_id: bytes
    parent_operation_id: bytes
    name: str
    start_time: datetime
    end_time: datetime
    status: Status
    outcome: str = ""
    purpose: str = ""
    legal_basis: str = ""
    actor: str = ""
    requester_domain: str = ""
    target_domain: str = ""
    basis: str = ""
    reference: str = ""

    def violations(self) -> list[FieldViolation]:
        """Every field that breaks the rules, named as in the public contract."""
        found = []
        if not _RECORD_ID.match(self.record_id):
            found.append(FieldViolation("record_id", "must be 32 lowercase hex digits"))
        for name, size in (("trace_id", 16), ("operation_id", 8)):
            if len(getattr(self, name)) != size:
                found.append(FieldViolation(name, f"must be {size} bytes"))
        if len(self.parent_operation_id) not in (0, 8):
            found.append(FieldViolation("parent_operation_id", "must be 8 bytes or empty"))
        if not self.name:
            found.append(FieldViolation("name", "required"))
        for name in CODE_FIELDS:
            value = getattr(self, name)
            if value and not is_code(value):
                found.append(FieldViolation(name, "must be a code (letters, digits, ._:/@+,=-)"))
        if len(self.legal_basis) > MAX_TEXT or not _LABEL.match(self.legal_basis):
            found.append(FieldViolation("legal_basis", "must be a short legal reference"))
        if self.end_time < self.start_time:
            found.append(FieldViolation("end_time", "must not lie before start_time"))
        return found

    def check(self) -> ProcessingEntry:
        """Return itself, or raise INVALID_ARGUMENT naming every bad field."""
        found = self.violations()
        if found:
            names = ", ".join(v.field for v in found)
            raise InvalidArgument(f"invalid record: {names}", "INVALID_FIELD", violations=found)
        return self


@dataclass(frozen=True)
class NewRecord:
    """A checked entry with what the audit service adds, before it has a place in the log."""

    entry: ProcessingEntry
    activity_id: str
    activity_version: int
    subject: bytes
    reporter: str

    def at(self, index: int, logged_at: datetime) -> LogRecord:
        """The record stored as leaf ``index`` at ``logged_at``."""
        return LogRecord(
            index,
            self.entry,
            self.activity_id,
            self.activity_version,
            self.subject,
            self.reporter,
            logged_at,
        )


@dataclass(frozen=True)
class LogRecord:
    """A record as the log holds it: one leaf of the Merkle tree."""

    index: int
    entry: ProcessingEntry
    activity_id: str
    activity_version: int
    subject: bytes
    reporter: str
    logged_at: datetime

    def reports(self, new: NewRecord) -> bool:
        """Whether this stored record is the same report as ``new`` (a retried append)."""
        return (self.entry, self.subject, self.reporter) == (new.entry, new.subject, new.reporter)


def to_microseconds(moment: datetime) -> int:
    """Whole microseconds since the epoch of a timezone-aware time."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_microseconds(value: int) -> datetime:
    """The UTC time of a microsecond count."""
    return _EPOCH + timedelta(microseconds=value)


_ENTRY_FIELDS = tuple(item.name for item in fields(ProcessingEntry))
_HEX_FIELDS = ("trace_id", "operation_id", "parent_operation_id")
_TIME_FIELDS = ("start_time", "end_time")
_LEAF_KEYS = frozenset(
    {"v", "index", "activity", "activity_version", "subject", "reporter", "logged_at"}
    | set(_ENTRY_FIELDS)
)
_INTEGERS = ("v", "index", "activity_version", "logged_at", *_TIME_FIELDS)
_TEXTS = ("record_id", "activity", "reporter", "subject", "legal_basis", "status", *CODE_FIELDS)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
_DECODER = json.JSONDecoder()


def _serialise(document: dict[str, Any]) -> bytes:
    return _ENCODER.encode(document).encode("ascii")


def encode_leaf(record: LogRecord) -> bytes:
    """The canonical leaf data of a record."""
    entry = record.entry
    document: dict[str, Any] = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    for name in _HEX_FIELDS:
        document[name] = document[name].hex()
    for name in _TIME_FIELDS:
        document[name] = to_microseconds(document[name])
    document["status"] = entry.status.value
    document.update(
        v=LEAF_VERSION,
        index=record.index,
        activity=record.activity_id,
        activity_version=record.activity_version,
        subject=record.subject.hex(),
        reporter=record.reporter,
        logged_at=to_microseconds(record.logged_at),
    )
    return _serialise(document)


def leaf_document(data: bytes) -> dict[str, Any]:
    """The parsed leaf data: exactly the leaf's keys, each of its JSON type, serialising back to
    the same bytes. ``ValueError`` otherwise. (Cheap: what ``audit verify`` reads.)"""
    try:
        document = _DECODER.decode(data.decode("ascii"))
    except ValueError:
        raise ValueError("leaf data is not ASCII JSON") from None
    if not isinstance(document, dict) or document.keys() != _LEAF_KEYS:
        raise ValueError("leaf data does not have the fields of a processing record")
    if {type(document[key]) for key in _INTEGERS} != {int}:
        raise ValueError("a number field is not a whole number")
    if {type(document[key]) for key in _TEXTS} != {str}:
        raise ValueError("a text field is not text")
    if document["v"] != LEAF_VERSION or _serialise(document) != data:
        raise ValueError("not the canonical leaf data of a processing record")
    return document


def decode_leaf(data: bytes) -> LogRecord:
    """Read canonical leaf data into a record; ``ValueError`` when it is not exactly canonical."""
    document = leaf_document(data)
    try:
        values: dict[str, Any] = {name: document[name] for name in _ENTRY_FIELDS}
        for name in _HEX_FIELDS:
            values[name] = bytes.fromhex(values[name])
        for name in _TIME_FIELDS:
            values[name] = from_microseconds(values[name])
        values["status"] = Status(values["status"])
        record = LogRecord(
            index=document["index"],
            entry=ProcessingEntry(**values),
            activity_id=document["activity"],
            activity_version=document["activity_version"],
            subject=bytes.fromhex(document["subject"]),
            reporter=document["reporter"],
            logged_at=from_microseconds(document["logged_at"]),
        )
    except (ValueError, OverflowError):
        raise ValueError("not the leaf data of a processing record") from None
    if encode_leaf(record) != data:
        raise ValueError("not the canonical leaf data of a processing record")
    return record


@dataclass(frozen=True)
class RecordFilter:
    """Which records the privacy officer asks for; empty fields match everything.

    ``subjects`` are the citizen's pseudonyms, one per reporting domain (``audit/<domain>``),
    any of which matches; ``references`` the stored (keyed) forms of one reference, any of
    which matches; ``domain`` matches the requester or the target domain; times bound
    ``start_time`` as ``from_time <= start_time < until_time``.
    """

    subjects: tuple[bytes, ...] = ()
    actor: str = ""
    purpose: str = ""
    domain: str = ""
    from_time: datetime | None = None
    until_time: datetime | None = None
    references: tuple[str, ...] = ()
