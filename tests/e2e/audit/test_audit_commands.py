"""``stadskamer audit export | report | verify`` as processes against the running stack."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.consent.v1 import consent_pb2 as consent_pb
from stadskamer.api.consent.v1 import consent_pb2_grpc as consent_grpc
from stadskamer.client import PseudonymClient
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.remote_processing_log import RemoteProcessingLog
from tests.support.stack import Stack
from tests.unit.pseudonyms.bsns import check_digit

COMMAND = [sys.executable, "-m", "stadskamer.cli.main", "audit"]
BSN = "111222333"


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def _pp(stack: Stack, bsn: str) -> bytes:
    client = PseudonymClient(stack.channel, stack.token("front", ["kcc"], ["agent"]))
    return client.polymorphic_pseudonym(bsn)


def _log(stack: Stack) -> RemoteProcessingLog:
    token = stack.token("kcc-service", ["kcc"], ["service"])
    return RemoteProcessingLog.connect(stack.address, lambda: token)


def _officer(stack: Stack) -> list[str]:
    return ["--address", stack.address, "--token", stack.token("po-1", [], ["privacy-officer"])]


def test_export_lists_a_citizens_processing_and_consents_in_dutch(stack: Stack) -> None:
    log = _log(stack)
    log.append(
        ProcessingRecord.now(
            "contacts.register",
            "OK",
            actor="agent-3",
            requester_domain="kcc",
            target_domain="kcc",
            subject_polymorphic=_pp(stack, BSN),
        )
    )
    log.append(
        ProcessingRecord.now("contacts.register", "OK", subject_polymorphic=_pp(stack, "123456782"))
    )
    consents = consent_grpc.ConsentServiceStub(stack.channel)
    consents.GrantConsent(
        consent_pb.GrantConsentRequest(
            request_id=uuid.uuid4().hex,
            subject=_pp(stack, BSN),
            purpose="research-panel",
            purpose_version=1,
            capture=consent_pb.Capture(
                channel=channel_pb2.CHANNEL_PHONE, method=consent_pb.CAPTURE_METHOD_AGENT
            ),
        ),
        metadata=[("authorization", f"Bearer {stack.token('agent-3', ['kcc'], ['agent'])}")],
    )
    exported = _run("export", "--format", "json", *_officer(stack), stdin=f"{BSN}\n")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    processing = document["verwerkingen"]
    assert sorted(p["handeling"] for p in processing) == ["consent.grant", "contacts.register"]
    registered = next(p for p in processing if p["handeling"] == "contacts.register")
    assert registered["verwerkingsactiviteit"] == "Registreren en tonen van klantcontacten"
    assert registered["uitgevoerd_door"] == "agent-3"
    assert registered["ontvangende_afdeling"] == "Klantcontactcentrum"
    assert registered["resultaat"] == "gelukt"
    given = document["toestemmingen"]
    assert [e["handeling"] for e in given] == ["toestemming gegeven"]
    assert given[0]["doel"].startswith("Onderzoekspanel")
    assert BSN not in exported.stdout + exported.stderr
    as_csv = _run("export", "--format", "csv", *_officer(stack), stdin=f"{BSN}\n")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {r["Soort"] for r in rows} == {"verwerking", "toestemming"}
    assert rows[0]["Tijdstip"] <= rows[-1]["Tijdstip"]


def test_export_refuses_an_invalid_bsn_without_repeating_it(stack: Stack) -> None:
    refused = _run("export", *_officer(stack), stdin="123456789\n")
    assert refused.returncode == 2
    assert "not a valid BSN" in refused.stderr and "123456789" not in refused.stderr


def test_report_counts_use_and_flags_an_actor_reading_far_more_citizens(stack: Stack) -> None:
    log = _log(stack)
    prefixes = (f"{n:08d}" for n in range(10_000_000, 10_001_000))
    valid = [p + str(d) for p in prefixes if (d := check_digit(p)) is not None][:40]
    records = [
        ProcessingRecord.now(
            "history.read",
            "OK",
            actor=f"agent-{a}",
            subject_polymorphic=_pp(stack, valid[a * 3 + s]),
        )
        for a in range(5)
        for s in range(3)
    ]
    records += [
        ProcessingRecord.now(
            "history.read", "OK", actor="agent-x", subject_polymorphic=_pp(stack, b)
        )
        for b in valid[:25]
    ]
    log.append_many(records)
    report = _run("report", "--since", "1h", "--minimum", "10", *_officer(stack))
    assert report.returncode == 0, report.stderr
    assert "UNUSUAL agent-x: 25 citizens" in report.stdout
    assert "UNUSUAL agent-0" not in report.stdout
    assert "agent-x" in report.stdout and "integrated-contact-history" in report.stdout


def test_verify_reads_the_live_data_folder(stack: Stack) -> None:
    _log(stack).append(ProcessingRecord.now("contacts.register", "OK"))
    verified = _run("verify", "--data-dir", str(stack.data_dir))
    assert verified.returncode == 0, verified.stderr
    assert "processing log intact: 1 records" in verified.stdout
