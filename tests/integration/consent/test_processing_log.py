"""The local processing log: durable JSON lines, fail-closed, identifiers only."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stadskamer.common.errors import Unavailable
from stadskamer.common.processing_log import JsonLinesProcessingLog, ProcessingRecord
from stadskamer.common.telemetry import tracer

PSEUDONYM = "ab" * 32


def _record(**changes: str) -> ProcessingRecord:
    fields = {"purpose": "research-panel", "subject": PSEUDONYM, "actor": "agent-7", **changes}
    return ProcessingRecord.now("consent.check", "ALLOWED", **fields)


def test_records_are_appended_as_json_lines_and_read_back(tmp_path: Path) -> None:
    log = JsonLinesProcessingLog.for_service(tmp_path / "processing-log", "consent")
    first, second = _record(), _record(actor="agent-8")
    log.append(first)
    log.append(second)
    assert log.path == tmp_path / "processing-log" / "consent.jsonl"
    assert log.read() == [first, second]
    lines = log.path.read_text().splitlines()
    assert json.loads(lines[1])["actor"] == "agent-8" and len(lines) == 2
    assert log.path.stat().st_mode & 0o077 == 0


def test_concurrent_appends_keep_every_line_whole(tmp_path: Path) -> None:
    log = JsonLinesProcessingLog(tmp_path / "consent.jsonl")

    def append_many() -> None:
        for _ in range(50):
            log.append(_record())

    threads = [threading.Thread(target=append_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log.read()) == 200


def test_a_log_that_cannot_be_written_refuses_with_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    log = JsonLinesProcessingLog.for_service(blocker, "consent")
    with pytest.raises(Unavailable) as refused:
        log.append(_record())
    assert refused.value.reason == "PROCESSING_LOG_UNAVAILABLE"


def test_a_record_carries_the_trace_and_span_of_the_processing(
    spans: InMemorySpanExporter,
) -> None:
    with tracer().start_as_current_span("work") as span:
        record = _record()
    context = span.get_span_context()
    assert record.trace_id == context.trace_id.to_bytes(16, "big")
    assert record.operation_id == context.span_id.to_bytes(8, "big")


@pytest.mark.parametrize("subject", ["111222333", "AB" * 32, "ab" * 31, "not hex at all"])
def test_a_record_refuses_anything_but_a_hex_pseudonym_as_subject(subject: str) -> None:
    with pytest.raises(ValueError, match="subject"):
        _record(subject=subject)


def test_a_record_refuses_bad_ids_naive_times_and_long_fields() -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValueError):
        ProcessingRecord(bytes(15), bytes(8), "x", now, "OK")
    with pytest.raises(ValueError):
        ProcessingRecord(bytes(16), bytes(8), "x", now.replace(tzinfo=None), "OK")
    with pytest.raises(ValueError):
        ProcessingRecord(bytes(16), bytes(8), "x", now, "OK", actor="a" * 256)
