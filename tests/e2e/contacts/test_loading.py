"""``stadskamer import`` and the demo month, through the public API of a running stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.cli.contacts_commands import load_demo_when_empty
from stadskamer.cli.main import main
from tests.e2e.contacts.conftest import ALL_DOMAINS, Caller
from tests.support.stack import Stack

LINES = [
    {
        "domain": "burgerzaken",
        "channel": "counter",
        "topic": "paspoort",
        "org_unit": "stadswinkel-noord",
        "occurred_at": "2025-03-01T09:30:00+01:00",
        "bsn": "111222333",
        "summary": "Paspoort kwijtgeraakt op vakantie",
    },
    {
        "domain": "burgerzaken",
        "channel": "CHANNEL_PHONE",
        "topic": "paspoort",
        "org_unit": "stadswinkel-noord",
        "occurred_at": "2025-03-02T10:00:00Z",
        "bsn": "111222333",
        "resolved_first_time": True,
    },
    {
        "domain": "kcc",
        "channel": "7",
        "topic": "afval",
        "org_unit": "kcc-webcare",
        "occurred_at": "2025-03-02T11:00:00Z",
    },
]


def run(*args: str) -> int:
    return main(list(args))


def importer(stack: Stack) -> str:
    """The token of an import: the domains, and roles system and issuer (BSNs are issued)."""
    return stack.token("importer", ALL_DOMAINS, ["system", "issuer"])


def test_import_registers_a_file_once(
    stack: Stack, everyone: Caller, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "contacts.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in LINES) + "\n")
    token = importer(stack)
    arguments = ("import", "--address", stack.address, "--token", token, str(file))
    assert run(*arguments) == 0
    assert "imported 3 contacts (1 repeat contacts)" in capsys.readouterr().out
    assert run(*arguments) == 0
    contacts = everyone.all_contacts()
    assert sorted(c.occurred_at.ToJsonString() for c in contacts) == [
        "2025-03-01T08:30:00Z",
        "2025-03-02T10:00:00Z",
        "2025-03-02T11:00:00Z",
    ], "each line registered once (request ids are not stored, so contacts have none)"
    csv_file = tmp_path / "more.csv"
    csv_file.write_text(
        "domain,channel,topic,org_unit,occurred_at,bsn\n"
        "kcc,phone,afval,kcc-telefonie,2025-03-03T08:00:00Z,123456782\n"
    )
    assert run("import", "--address", stack.address, "--token", token, str(csv_file)) == 0
    assert len(everyone.all_contacts()) == 4


def test_a_bad_line_stops_the_import_before_anything_is_sent(
    stack: Stack, everyone: Caller, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {**LINES[1], "bsn": "123456789"}
    file = tmp_path / "bad.jsonl"
    file.write_text(json.dumps(LINES[0]) + "\n" + json.dumps(bad) + "\n")
    token = importer(stack)
    assert run("import", "--address", stack.address, "--token", token, str(file)) == 1
    error = capsys.readouterr().err
    assert "line 2: bsn is not a valid BSN" in error
    assert "123456789" not in error
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text(json.dumps({**LINES[2], "topic": "ruimtevaart"}) + "\n")
    assert run("import", "--address", stack.address, "--token", token, str(unknown)) == 1
    assert "line 1: topic" in capsys.readouterr().err
    assert everyone.all_contacts() == []


def test_the_demo_month_shows_repeats_and_a_rising_topic(
    stack: Stack, everyone: Caller, capsys: pytest.CaptureFixture[str]
) -> None:
    token = stack.token("dev", ALL_DOMAINS, ["system", "issuer"])
    load_demo_when_empty(stack.address, token)
    report = capsys.readouterr().out
    assert "demo data:" in report
    assert "kcc: energietoeslag" in report
    load_demo_when_empty(stack.address, token)
    assert "exist already" in capsys.readouterr().out
    for bucket in (pb.BUCKET_DAY, pb.BUCKET_WEEK):
        signals = everyone.stub.GetTopicSignals(
            pb.GetTopicSignalsRequest(domain="kcc", bucket=bucket), metadata=everyone.metadata
        )
        assert "energietoeslag" in [t.topic for t in signals.topics if t.rising]
        top = signals.topics[0]
        assert top.topic == "energietoeslag"
        assert top.repeat_share > 0
        assert sum(c.share for c in top.channel_mix) == pytest.approx(1.0)
    repeats = [c for c in everyone.all_contacts(domain="burgerzaken") if c.repeat.is_repeat]
    assert repeats


def test_an_import_needs_a_token_that_may_issue(
    stack: Stack, everyone: Caller, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "contacts.jsonl"
    file.write_text(json.dumps(LINES[0]) + "\n")
    arguments = ("import", "--address", stack.address, "--token", everyone.token, str(file))
    assert run(*arguments) == 1
    error = capsys.readouterr().err
    assert "issuing pseudonyms: " in error and "111222333" not in error
    assert everyone.all_contacts() == []
