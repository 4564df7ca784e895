"""The record rules (codes only, no free text) and the canonical leaf data."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.audit.domain import (
    LogRecord,
    NewRecord,
    ProcessingEntry,
    Status,
    decode_leaf,
    encode_leaf,
)
from stadskamer.common.errors import InvalidArgument

START = datetime(2026, 3, 2, 9, 15, 30, 123456, tzinfo=UTC)


def entry(**changes: object) -> ProcessingEntry:
    """A valid entry, with ``changes``."""
    base = ProcessingEntry(
        record_id="0123456789abcdef0123456789abcdef",
        trace_id=bytes(range(16)),
        operation_id=bytes(range(8)),
        parent_operation_id=bytes(range(8, 16)),
        name="contacts.history.read",
        start_time=START,
        end_time=START + timedelta(milliseconds=40),
        status=Status.OK,
        outcome="OK",
        purpose="integrated-contact-history",
        legal_basis="AVG art. 6 lid 1 sub a (toestemming)",
        actor="agent-42",
        requester_domain="kcc",
        target_domain="burgerzaken",
        basis="consents/6f1c",
        reference="3",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def stored(index: int = 7, subject: bytes = bytes(range(32))) -> LogRecord:
    """A stored record."""
    new = NewRecord(entry(), "contacthistorie", 1, subject, "kcc-service")
    return new.at(index, START + timedelta(seconds=1))


def test_a_valid_entry_has_no_violations() -> None:
    assert entry().violations() == []
    assert entry().check() == entry()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"record_id": "not-a-uuid"}, "record_id"),
        ({"trace_id": b"short"}, "trace_id"),
        ({"operation_id": bytes(9)}, "operation_id"),
        ({"parent_operation_id": bytes(4)}, "parent_operation_id"),
        ({"name": ""}, "name"),
        ({"actor": "Jan de Vries"}, "actor"),
        ({"reference": "belde op 12 maart over zijn uitkering"}, "reference"),
        ({"purpose": "x" * 256}, "purpose"),
        ({"basis": "consents/1\nextra"}, "basis"),
        ({"legal_basis": "art. 6 <script>"}, "legal_basis"),
        ({"end_time": START - timedelta(seconds=1)}, "end_time"),
    ],
)
def test_free_text_and_malformed_fields_are_refused(changes: dict[str, object], field: str) -> None:
    bad = entry(**changes)
    assert field in [v.field for v in bad.violations()]
    with pytest.raises(InvalidArgument) as raised:
        bad.check()
    assert field in [v.field for v in raised.value.violations]
    assert "Jan" not in raised.value.message and "uitkering" not in raised.value.message


def test_leaf_data_is_canonical_and_round_trips() -> None:
    record = stored()
    data = encode_leaf(record)
    assert decode_leaf(data) == record
    document = json.loads(data)
    assert list(document) == sorted(document)
    assert document["index"] == 7 and document["subject"] == bytes(range(32)).hex()
    assert data == encode_leaf(decode_leaf(data))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: d.replace(b",", b", ", 1),
        lambda d: json.dumps(json.loads(d), sort_keys=False).encode(),
        lambda d: d.replace(b'"v":1', b'"v":2'),
        lambda d: d.replace(b'"index":7', b'"index":"7"'),
        lambda d: d[:-1],
    ],
)
def test_non_canonical_leaf_data_is_refused(mangle: object) -> None:
    data = encode_leaf(stored())
    changed = mangle(data)  # type: ignore[operator]
    assert changed != data
    with pytest.raises(ValueError):
        decode_leaf(changed)


@given(
    index=st.integers(0, 2**62),
    micros=st.integers(0, 253402300799 * 10**6),
    subject=st.sampled_from([b"", bytes(32), bytes(range(32))]),
    actor=st.from_regex(r"\A[a-z0-9][a-z0-9.@-]{0,40}\Z"),
)
def test_any_record_round_trips(index: int, micros: int, subject: bytes, actor: str) -> None:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    new = NewRecord(
        entry(start_time=moment, end_time=moment, actor=actor), "klantcontacten", 3, subject, "s"
    )
    record = new.at(index, moment)
    assert decode_leaf(encode_leaf(record)) == record


def test_a_retried_report_is_recognised_and_a_different_one_is_not() -> None:
    record = stored()
    same = NewRecord(entry(), "contacthistorie", 1, bytes(range(32)), "kcc-service")
    assert record.reports(same)
    assert not record.reports(replace(same, subject=bytes(32)))
    assert not record.reports(replace(same, entry=entry(outcome="DENIED")))
