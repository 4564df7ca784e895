"""Retention, unusual access and the subject-access rows: the plain rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from stadskamer.audit import anomalies, subject_access
from stadskamer.audit.activities import ActivityRegister
from stadskamer.audit.domain import LogRecord, NewRecord, Status
from stadskamer.audit.retention import first_unexpired, prune_point
from tests.unit.audit.test_records import entry

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _read(actor: str, subject: int, name: str = "history.read", index: int = 0) -> LogRecord:
    new = NewRecord(entry(name=name, actor=actor), "contacthistorie", 1, bytes([subject]) * 32, "s")
    return new.at(index, NOW)


def test_the_prunable_prefix_ends_at_the_first_record_still_kept() -> None:
    register = ActivityRegister.load()
    old, recent = NOW - timedelta(days=800), NOW - timedelta(days=10)
    rows = [
        (0, "klantcontacten", 1, old),
        (1, "klantcontacten", 1, old),
        (2, "klantcontacten", 1, recent),
        (3, "klantcontacten", 1, old),
    ]
    assert first_unexpired(rows, register, NOW) == 2
    assert first_unexpired(rows[:2], register, NOW) is None
    assert first_unexpired([(0, "unknown", 1, old)], register, NOW) == 0
    assert first_unexpired([(0, "privacytoezicht", 1, old)], register, NOW) == 0
    assert prune_point(0, 2, [1, 3, 4]) == 1
    assert prune_point(1, 2, [1, 3]) is None


def test_an_actor_reading_far_more_citizens_than_its_peers_is_flagged() -> None:
    records = [_read(f"agent-{a}", s) for a in range(6) for s in range(5)]
    records += [_read("agent-x", s) for s in range(60)]
    records += [_read("agent-x", 200, name="consent.grant")]
    distinct = anomalies.distinct_history_subjects(records)
    assert distinct["agent-x"] == 60 and distinct["agent-0"] == 5
    flags = anomalies.unusual_readers(distinct)
    assert [f.actor for f in flags] == ["agent-x"]
    assert flags[0].threshold == 20.0 and flags[0].peer_median == 5.0


def test_the_minimum_and_the_spread_of_peers_prevent_false_alarms() -> None:
    assert anomalies.unusual_readers({"alone": 19}) == []
    assert [f.actor for f in anomalies.unusual_readers({"alone": 21})] == ["alone"]
    spread = {"a": 10, "b": 40, "c": 70, "d": 100, "e": 130}
    assert anomalies.unusual_readers(spread) == []
    assert anomalies.unusual_readers({**spread, "f": 400})[0].actor == "f"


def test_usage_counts_records_and_distinct_subjects_per_actor_and_purpose() -> None:
    records = [_read("a", 1), _read("a", 1), _read("a", 2), _read("b", 1)]
    lines = anomalies.usage(records)
    assert [(u.actor, u.records, u.subjects) for u in lines] == [("a", 3, 2), ("b", 1, 1)]


def test_subject_access_rows_use_dutch_labels() -> None:
    labels = subject_access.Labels(
        ActivityRegister.load(), {"integrated-contact-history": "Historie"}
    )
    record = _read("agent-1", 3, index=12)
    row = subject_access.processing_row(record, labels)
    assert row["verwerkingsactiviteit"] == "Inzien van de contacthistorie"
    assert row["doel"] == "Historie"
    assert row["ontvangende_afdeling"] == "Klantcontactcentrum"
    assert row["afdeling_van_de_gegevens"] == "Burgerzaken"
    assert row["resultaat"] == "gelukt" and row["logregel"] == "12"
    event = subject_access.ConsentEvent(
        NOW, "WITHDRAWN", "consents/1", "research-panel", 1, "a", "WITHDRAWN"
    )
    consent = subject_access.consent_row(event, labels)
    assert (
        consent["handeling"] == "toestemming ingetrokken" and consent["resultaat"] == "ingetrokken"
    )
    document = json.loads(subject_access.as_json([row], [consent]))
    assert document["verwerkingen"][0]["doel"] == "Historie"
    table = subject_access.as_csv([row], [consent]).splitlines()
    assert table[0].startswith("Soort,Tijdstip,Handeling,Verwerkingsactiviteit,Doel,Grondslag")
    assert len(table) == 3
    failed = NewRecord(entry(status=Status.ERROR, outcome="DENIED"), "x", 1, b"", "s").at(1, NOW)
    assert subject_access.processing_row(failed, labels)["resultaat"] == "niet gelukt (DENIED)"
