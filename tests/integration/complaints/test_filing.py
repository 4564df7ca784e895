"""Filing on SQLite and PostgreSQL: case numbers under concurrency, idempotency, no data leak."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied, Unavailable
from stadskamer.common.processing_log import JsonLinesProcessingLog, ProcessingRecord
from stadskamer.complaints.adapters.orm import assignments, complaints
from stadskamer.complaints.domain import Status
from stadskamer.complaints.service import FilingService
from stadskamer.pep import tags
from tests.integration.complaints.support import AGENT, DESCRIPTION, World, bsns
from tests.support.databases import dump_database_text

PARALLEL = 40


def _count(world: World) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(complaints)).scalar_one())


def test_a_filed_complaint_is_numbered_routed_and_clocked(world: World) -> None:
    filed = world.filing.file(AGENT, world.draft("req-1", received_at=world.clock.now))
    complaint = filed.complaint
    assert not filed.replayed
    assert complaint.case_number == "KL-2026-000001"
    assert complaint.status is Status.RECEIVED
    assert complaint.coordinator == "decentraal-belastingen"
    assert complaint.callback_due == date(2026, 3, 9)
    assert complaint.decision_due == date(2026, 4, 13)
    assert complaint.subject == world.pseudonym("111222333")
    assert complaint.description == DESCRIPTION
    assert [a.coordinator for a in complaint.assignments] == ["decentraal-belastingen"]
    second = world.filing.file(AGENT, world.draft("req-2", org_unit="onbekend")).complaint
    assert second.case_number == "KL-2026-000002"
    assert second.coordinator == "centraal"


def test_numbers_restart_each_year_of_registration(world: World) -> None:
    world.filing.file(AGENT, world.draft("a"))
    world.clock.now = datetime(2026, 12, 31, 22, 59, tzinfo=UTC)  # 23:59 in Amsterdam
    assert world.filing.file(AGENT, world.draft("b")).complaint.case_number == "KL-2026-000002"
    world.clock.now = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # 1 January 2027 there
    assert world.filing.file(AGENT, world.draft("c")).complaint.case_number == "KL-2027-000001"
    assert world.filing.file(AGENT, world.draft("d")).complaint.case_number == "KL-2027-000002"


def test_many_parallel_filings_get_unique_increasing_numbers(world: World) -> None:
    people = bsns(PARALLEL)
    requests = [world.draft(f"par-{index}", people[index]) for index in range(PARALLEL)]

    def file(index: int) -> str:
        return world.filing.file(AGENT, requests[index]).complaint.case_number

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        numbers = list(pool.map(file, range(PARALLEL)))
    assert len(set(numbers)) == PARALLEL
    assert sorted(numbers) == [f"KL-2026-{n:06d}" for n in range(1, PARALLEL + 1)]
    assert world.filing.file(AGENT, world.draft("after")).complaint.case_number == "KL-2026-000041"
    assert _count(world) == PARALLEL + 1


def test_a_retry_returns_the_first_complaint_and_writes_nothing(world: World) -> None:
    request = world.draft("same")
    first = world.filing.file(AGENT, request).complaint
    calls = world.pseudonyms.calls
    again = world.filing.file(AGENT, replace(request, description="Iets anders"))
    assert again.replayed
    assert again.complaint == first
    assert world.pseudonyms.calls == calls + 1  # only the record's subject, nothing claimed
    assert _count(world) == 1


def test_a_subject_claimed_before_is_refused_and_writes_nothing(world: World) -> None:
    subject = world.subject()
    world.filing.file(AGENT, world.draft("first", subject=subject))
    with pytest.raises(PermissionDenied) as raised:
        world.filing.file(AGENT, world.draft("second", subject=subject))
    assert raised.value.reason == "TAG_SPENT"
    assert _count(world) == 1


def test_a_retry_with_the_same_bytes_while_the_first_is_stored_answers_the_first(
    world: World,
) -> None:
    request = world.draft("same-bytes")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: _file_or_refusal(world, request), range(8)))
    filed = [r for r in results if not isinstance(r, PermissionDenied)]
    assert filed and len({r.complaint.id for r in filed}) == 1
    assert {r.reason for r in results if isinstance(r, PermissionDenied)} <= {"TAG_SPENT"}
    assert _count(world) == 1


def test_concurrent_retries_store_one_complaint(world: World) -> None:
    requests = [world.draft("race") for _ in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda r: world.filing.file(AGENT, r), requests))
    assert len({r.complaint.id for r in results}) == 1
    assert len({r.complaint.case_number for r in results}) == 1
    assert _count(world) == 1
    with world.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(assignments)).scalar_one()
    assert rows == 1


def test_a_pseudonym_service_that_is_down_leaves_nothing_written(world: World) -> None:
    request = world.draft("down")
    world.pseudonyms.down = True
    with pytest.raises(Unavailable):
        world.filing.file(AGENT, request)
    assert _count(world) == 0
    world.pseudonyms.down = False
    assert world.filing.file(AGENT, world.draft("down")).complaint.case_number == "KL-2026-000001"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": b"\x01" * 96}, "subject"),
        ({"subject": b""}, "subject"),
        ({"subject": "kcc"}, "subject"),
        ({"description": ""}, "description"),
        ({"org_unit": "Geen Code"}, "org_unit"),
        ({"channel": 0}, "channel"),
        ({"received_at": datetime(2026, 3, 2, 10, tzinfo=UTC)}, "receive_time"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    world: World, changes: dict[str, object], field: str
) -> None:
    if changes.get("subject") == "kcc":
        changes = {"subject": world.pseudonyms.issue("111222333", "kcc")}
    calls = world.pseudonyms.calls
    with pytest.raises(InvalidArgument) as raised:
        world.filing.file(AGENT, world.draft("bad", **changes))
    assert world.pseudonyms.calls == calls
    assert [v.field for v in raised.value.violations] == [field]
    assert _count(world) == 0


@pytest.mark.parametrize(
    "caller",
    [
        Principal("x", frozenset({"kcc"}), frozenset({"agent"})),
        Principal("x", frozenset({"klachten"}), frozenset({"analyst"})),
    ],
)
def test_filing_needs_the_klachten_domain_and_a_filing_role(
    world: World, caller: Principal
) -> None:
    with pytest.raises(PermissionDenied):
        world.filing.file(caller, world.draft("denied"))
    assert _count(world) == 0


def test_the_received_time_sets_the_clocks(world: World) -> None:
    received = world.clock.now - timedelta(days=10)  # Friday 20 February 2026
    complaint = world.filing.file(AGENT, world.draft("old", received_at=received)).complaint
    assert complaint.callback_due == date(2026, 2, 27)
    assert complaint.decision_due == date(2026, 4, 3)
    assert complaint.case_number.startswith("KL-2026-")


def test_no_bsn_or_description_in_the_database_logs_or_processing_log(
    world: World, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    people = bsns(3)
    for index, bsn in enumerate(people):
        world.filing.file(AGENT, world.draft(f"leak-{index}", bsn))
    literals = [*people, DESCRIPTION, "Jan de Vries", "WOZ-waarde"]
    dump = dump_database_text(database_url)
    assert [literal for literal in literals if literal in dump] == []
    assert [literal for literal in literals if literal in caplog.text] == []
    records = world.log.read()
    assert [r.name for r in records] == ["complaints.file"] * 3
    assert {r.subject for r in records} == {""}  # the citizen only in the audit service's form
    assert {r.purpose for r in records} == {"complaint-handling"}
    log_text = (tmp_path / "processing-log" / "complaints.jsonl").read_text()
    assert [literal for literal in literals if literal in log_text] == []


def test_a_processing_log_that_cannot_be_written_refuses_the_filing(
    world: World, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the log folder should be")
    broken = JsonLinesProcessingLog.for_service(blocker, "complaints")
    filing = FilingService(replace(world.deps, processing_log=broken))
    with pytest.raises(Unavailable):
        filing.file(AGENT, world.draft("no-log"))
    assert _count(world) == 0


class RecordingLog:
    """A processing log in memory."""

    def __init__(self) -> None:
        self.records: list[ProcessingRecord] = []

    def append(self, record: ProcessingRecord) -> None:
        """Keep it."""
        self.records.append(record)


def test_the_filing_record_names_the_complainant_for_the_audit_service_only(
    world: World,
) -> None:
    log = RecordingLog()
    filing = FilingService(replace(world.deps, processing_log=log))
    request = world.draft("tagged", "123456782")
    filing.file(AGENT, request)
    replayed = filing.file(AGENT, replace(request, subject=world.subject()))
    assert replayed.replayed
    first, second = log.records
    assert (first.status, second.status) == ("OK", "REPLAYED")
    for record in (first, second):
        assert record.subject == ""
        assert tags.parse(record.subject_tagged).audience == "audit/klachten"
    assert first.subject_tagged != second.subject_tagged
    audit = {world.pseudonyms.pseudonym(r.subject_tagged) for r in (first, second)}
    assert len(audit) == 1 and world.pseudonym("123456782") not in audit


def _file_or_refusal(world: World, request: object) -> object:
    try:
        return world.filing.file(AGENT, request)  # type: ignore[arg-type]
    except PermissionDenied as refusal:
        return refusal
