"""Attack: read a caller's request_id (an e-mail address and a BSN in it) from the database files.

A caller chose request ids that hold an e-mail address and a BSN. The attacker has nothing but
the data folder of a running embedded stack (every database file, with its write-ahead log)
and the public source code; they look for those values, in clear, as hex or as UTF-16, and for
the contact id and processing-record id that anyone who knows the request id could compute
from it with that code. Each request is retried once, which must not make a second record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from uuid import UUID, uuid5

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2, complaints_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from stadskamer.api.surveys.v1 import surveys_pb2, surveys_pb2_grpc
from stadskamer.client import PseudonymClient
from tests.support.databases import dump_database_text
from tests.support.stack import Stack

EMAIL = "piet@example.nl"
BSN = "111222333"
REQUEST_ID = f"{EMAIL}-{BSN}"
# The consent service allows only letters, digits and "._:-" in a request id.
CONSENT_REQUEST_ID = f"piet.example.nl-{BSN}"
CITIZEN = "123456782"  # the subject of every request; never in the request ids
# What the code before keyed digests derived from (domain, request_id), for anyone to redo.
_CONTACT_IDS = UUID("0f5d7a4e-2c1b-4e8e-9a3d-6b2f1c0e9d84")


def metadata(stack: Stack, domains: list[str], roles: list[str]) -> list[tuple[str, str]]:
    """Bearer metadata with a fresh token of the stack."""
    return [("authorization", f"Bearer {stack.token('agent-piet', domains, roles)}")]


def hour_ago() -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(hours=1))
    return stamp


def twice(call: grpc.UnaryUnaryMultiCallable, request: object, auth: object) -> list[object]:
    """The answers to a request and to its retry."""
    return [call(request, metadata=auth, timeout=15) for _ in range(2)]


def computable_ids() -> list[str]:
    """The contact id and processing-record id the old code derived from the request id."""
    contact_id = str(uuid5(_CONTACT_IDS, f"kcc\x00{REQUEST_ID}"))
    record_id = sha256(f"contacts.register\x00kcc\x00{REQUEST_ID}".encode()).hexdigest()[:32]
    return [contact_id, contact_id.replace("-", ""), record_id]


def encodings(literal: str) -> Iterator[bytes]:
    """The forms a stored text could take in a file: UTF-8, UTF-16 and hex."""
    yield literal.encode()
    yield literal.encode("utf-16-le")
    yield literal.encode("utf-16-be")
    yield literal.encode().hex().encode()
    yield literal.encode().hex().upper().encode()


def found_in_files(folder: Path, literals: list[str]) -> list[str]:
    """Every (literal, file) where some encoding of the literal is in the file's bytes."""
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [
            f"{literal!r} in {path.name}"
            for literal in literals
            if any(form in data for form in encodings(literal))
        ]
    return hits


def found_in_rows(folder: Path, literals: list[str]) -> list[str]:
    """Every (literal, database) where the literal or its hex is in a stored value."""
    hits = []
    for database in sorted(folder.glob("*.db")):
        text = dump_database_text(f"sqlite:///{database}").lower()
        hits += [
            f"{literal!r} in the rows of {database.name}"
            for literal in literals
            if literal.lower() in text or literal.encode().hex() in text
        ]
    return hits


def test_request_ids_holding_an_email_address_and_a_bsn_are_nowhere_in_the_data_folder(
    stack: Stack,
) -> None:
    edge = PseudonymClient(stack.channel, stack.token("front-end", [], ["system"]))

    contacts = contacts_pb2_grpc.ContactsServiceStub(stack.channel)
    registered = twice(
        contacts.RegisterContact,
        contacts_pb2.RegisterContactRequest(
            request_id=REQUEST_ID,
            domain="kcc",
            subject=edge.polymorphic_pseudonym(CITIZEN),
            channel=channel_pb2.CHANNEL_PHONE,
            topic="paspoort",
            org_unit="kcc-telefonie",
            occurred_at=hour_ago(),
        ),
        metadata(stack, ["kcc"], ["agent"]),
    )
    assert len({r.contact.name for r in registered}) == 1  # type: ignore[attr-defined]
    assert registered[1].contact.request_id == REQUEST_ID  # type: ignore[attr-defined]

    complaints = complaints_pb2_grpc.ComplaintsServiceStub(stack.channel)
    filed = twice(
        complaints.FileComplaint,
        complaints_pb2.FileComplaintRequest(
            request_id=REQUEST_ID,
            subject=edge.polymorphic_pseudonym(CITIZEN),
            channel=channel_pb2.CHANNEL_WEB_FORM,
            org_unit="burgerzaken",
            description="De balie was onverwacht dicht.",
        ),
        metadata(stack, ["klachten"], ["agent"]),
    )
    assert len({f.complaint.name for f in filed}) == 1  # type: ignore[attr-defined]

    consent = consent_pb2_grpc.ConsentServiceStub(stack.channel)
    given = twice(
        consent.GrantConsent,
        consent_pb2.GrantConsentRequest(
            request_id=CONSENT_REQUEST_ID,
            subject=edge.polymorphic_pseudonym(CITIZEN),
            purpose="integrated-contact-history",
            purpose_version=1,
            capture=consent_pb2.Capture(
                channel=channel_pb2.CHANNEL_PHONE, method=consent_pb2.CAPTURE_METHOD_AGENT
            ),
        ),
        metadata(stack, ["kcc"], ["agent"]),
    )
    assert len({c.name for c in given}) == 1  # type: ignore[attr-defined]

    surveys = surveys_pb2_grpc.SurveysServiceStub(stack.channel)
    invited = twice(
        surveys.CreateInvitation,
        surveys_pb2.CreateInvitationRequest(
            request_id=REQUEST_ID,
            subject=edge.polymorphic_pseudonym(CITIZEN),
            trigger=surveys_pb2.TRIGGER_KIND_CONTACT,
            channel=channel_pb2.CHANNEL_PHONE,
            topic="energietoeslag",
            org_unit="kcc-team-noord",
        ),
        metadata(stack, ["onderzoek"], ["agent"]),
    )
    assert [i.replayed for i in invited] == [False, True]  # type: ignore[attr-defined]
    improved = twice(
        surveys.CreateImprovement,
        surveys_pb2.CreateImprovementRequest(
            request_id=REQUEST_ID,
            quarter="2026-Q4",
            title="Openingstijden balie op de website",
            description="De tijden staan nu bovenaan de pagina.",
            signals=[surveys_pb2.Signal(kind=surveys_pb2.SIGNAL_KIND_TOPIC, value="paspoort")],
            signal_count=12,
        ),
        metadata(stack, ["onderzoek"], ["coordinator"]),
    )
    assert len({i.name for i in improved}) == 1  # type: ignore[attr-defined]
    drawn = twice(
        surveys.DrawPanelSample,
        surveys_pb2.DrawPanelSampleRequest(request_id=REQUEST_ID, study="balie", size=1),
        metadata(stack, ["onderzoek"], ["analyst"]),
    )
    assert [d.replayed for d in drawn] == [False, True]  # type: ignore[attr-defined]

    literals = [REQUEST_ID, CONSENT_REQUEST_ID, EMAIL, "piet.example.nl", BSN, *computable_ids()]
    assert found_in_files(stack.data_dir, literals) == []
    assert found_in_rows(stack.data_dir, literals) == []
