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
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.remote_processing_log import RemoteProcessingLog
from tests.support.audit import issued, officer_token, record_subject
from tests.support.stack import Stack
from tests.unit.pseudonyms.bsns import check_digit

COMMAND = [sys.executable, "-m", "stadskamer.cli.main", "audit"]
BSN = "111222333"


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def _log(stack: Stack) -> RemoteProcessingLog:
    token = stack.token("kcc-service", ["kcc"], ["service"])
    return RemoteProcessingLog.connect(stack.address, lambda: token)


def _officer(stack: Stack, domains: tuple[str, ...] = ()) -> list[str]:
    return ["--address", stack.address, "--token", officer_token(stack, domains)]


def _reported(stack: Stack) -> None:
    log = _log(stack)
    log.append(
        ProcessingRecord.now(
            "contacts.register",
            "OK",
            actor="agent-3",
            requester_domain="kcc",
            target_domain="kcc",
            subject_tagged=record_subject(stack, BSN, "kcc"),
        )
    )
    log.append(
        ProcessingRecord.now(
            "complaints.file",
            "OK",
            actor="coordinator-1",
            requester_domain="klachten",
            target_domain="klachten",
            subject_tagged=record_subject(stack, BSN, "klachten"),
        )
    )
    log.append(
        ProcessingRecord.now(
            "contacts.register", "OK", subject_tagged=record_subject(stack, "123456782")
        )
    )


def test_export_lists_a_citizens_processing_of_every_domain_in_dutch(stack: Stack) -> None:
    _reported(stack)
    exported = _run(
        "export", "--format", "json", "--without-consents", *_officer(stack), stdin=f"{BSN}\n"
    )
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    processing = [p for p in document["verwerkingen"] if p["handeling"] != "pseudonyms.issue"]
    assert sorted(p["handeling"] for p in processing) == ["complaints.file", "contacts.register"]
    registered = next(p for p in processing if p["handeling"] == "contacts.register")
    assert registered["verwerkingsactiviteit"] == "Registreren en tonen van klantcontacten"
    assert registered["uitgevoerd_door"] == "agent-3"
    assert registered["ontvangende_afdeling"] == "Klantcontactcentrum"
    assert registered["resultaat"] == "gelukt"
    assert document["toestemmingen"] == []
    assert BSN not in exported.stdout + exported.stderr


def test_export_needs_an_issuer_token_and_a_domain_for_the_consents(stack: Stack) -> None:
    plain = ["--address", stack.address, "--token", stack.token("po-1", [], ["privacy-officer"])]
    refused = _run("export", "--without-consents", *plain, stdin=f"{BSN}\n")
    assert (
        refused.returncode == 1 and "ROLE_MISSING" in refused.stderr and BSN not in refused.stderr
    )
    no_domain = _run("export", *_officer(stack), stdin=f"{BSN}\n")
    assert no_domain.returncode == 2 and "--consents-domain" in no_domain.stderr


def test_export_lists_a_citizens_processing_and_consents_in_dutch(stack: Stack) -> None:
    _reported(stack)
    consents = consent_grpc.ConsentServiceStub(stack.channel)
    consents.GrantConsent(
        consent_pb.GrantConsentRequest(
            request_id=uuid.uuid4().hex,
            subject=issued(stack, BSN, "kcc"),
            purpose="research-panel",
            purpose_version=1,
            capture=consent_pb.Capture(
                channel=channel_pb2.CHANNEL_PHONE, method=consent_pb.CAPTURE_METHOD_AGENT
            ),
        ),
        metadata=[("authorization", f"Bearer {stack.token('agent-3', ['kcc'], ['agent'])}")],
    )
    officer = _officer(stack, ("kcc",))
    exported = _run("export", "--format", "json", *officer, stdin=f"{BSN}\n")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    processing = [p for p in document["verwerkingen"] if p["handeling"] != "pseudonyms.issue"]
    assert {p["handeling"] for p in processing} >= {
        "consent.grant",
        "contacts.register",
        "complaints.file",
    }
    given = document["toestemmingen"]
    assert [e["handeling"] for e in given] == ["toestemming gegeven"]
    assert given[0]["doel"].startswith("Onderzoekspanel")
    assert BSN not in exported.stdout + exported.stderr
    as_csv = _run("export", "--format", "csv", *officer, stdin=f"{BSN}\n")
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
            subject_tagged=record_subject(stack, valid[a * 3 + s]),
        )
        for a in range(5)
        for s in range(3)
    ]
    records += [
        ProcessingRecord.now(
            "history.read", "OK", actor="agent-x", subject_tagged=record_subject(stack, b)
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
