"""The processing log is neither a conversion oracle nor a join table between domains.

(a) An insider service (the kcc service's credentials: its token and its domain key) holds a
citizen's kcc pseudonym in its store. It encrypts that pseudonym under its own public key, as
services did before issuance, and reports it as a record's ``subject_encrypted`` (and a
guessed citizen's self-made polymorphic pseudonym as ``subject_polymorphic``; and a genuine
record subject with its tag re-signed by a key of its own). The audit service used to convert
``subject_encrypted`` into the audit domain: any point an insider chose became a log subject.
Now every such record is refused with INVALID_ARGUMENT naming the field, nothing is appended,
and no conversion is asked of the pseudonym service.

(b) An insider holding the audit database file and the kcc (contacts) and klachten
(complaints) database files, after one citizen's contact and complaint: no subject or
reference stored in the audit database equals a value stored in either domain's database (the
forms compared are those of :func:`tests.support.databases.value_forms`: a value, the parts of
a name such as ``contacts/<id>``, the UUIDs in it; of at least 16 characters), and the citizen's
kcc and klachten records carry two different subjects. The privacy officer, who has the
citizen issued into ``audit``, finds both.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer import pep
from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as complaints_pb
from stadskamer.api.complaints.v1 import complaints_pb2_grpc as complaints_grpc
from stadskamer.api.contacts.v1 import contacts_pb2 as contacts_pb
from stadskamer.api.contacts.v1 import contacts_pb2_grpc as contacts_grpc
from stadskamer.client import PseudonymClient, decrypt_pseudonym
from stadskamer.pep import tags
from tests.support.audit import (
    audit_records,
    issued,
    officer_subjects,
    officer_token,
    record_subject,
)
from tests.support.databases import stored_values, value_forms
from tests.support.stack import Stack

BSN = "111222333"
GUESSED_BSN = "123456782"
MIN_LENGTH = 16  # shorter forms are vocabulary (domain and operation codes), as in the at-rest test
CONVERSIONS = ("PseudonymService/Transcrypt", "PseudonymService/BatchTranscrypt")


def _metadata(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _status(error: grpc.RpcError) -> tuple[str, list[str]]:
    """The ErrorInfo reason and the BadRequest fields of a refusal."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    reason, fields = "", []
    for detail in status.details if status else []:
        info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        if detail.Unpack(info):
            reason = str(info.reason)
        elif detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return reason, fields


def _tree_size(stack: Stack) -> int:
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    witness = stack.token("witness", [], ["analyst"])
    head = stub.GetTreeHead(pb.GetTreeHeadRequest(), metadata=_metadata(witness))
    return int(head.tree_size)


def _record(**subject: object) -> pb.ProcessingRecord:
    record = pb.ProcessingRecord(
        record_id=uuid.uuid4().hex,
        trace_id=bytes(16),
        operation_id=bytes(8),
        name="contacts.register",
        status=pb.PROCESSING_STATUS_OK,
        actor="agent-1",
        requester_domain="kcc",
        target_domain="kcc",
        **subject,  # type: ignore[arg-type]
    )
    record.start_time.GetCurrentTime()
    return record


def _kcc_pseudonym_in_store(stack: Stack, service: PseudonymClient) -> bytes:
    """What the kcc store holds for the citizen: P_kcc, as the contacts service got it."""
    claim = service.claim(issued(stack, BSN, "kcc"), "kcc")
    return decrypt_pseudonym(claim.reference, service.domain_key("kcc"))


def _resigned(genuine: bytes) -> bytes:
    """A genuine record subject with its tag replaced by one of the insider's own key."""
    parsed = tags.parse(genuine)
    forged = tags.sign(
        Ed25519PrivateKey.generate(),
        parsed.kind,
        parsed.ciphertext,
        audience=parsed.audience,
        not_after=datetime.now(UTC) + timedelta(minutes=5),
        key_version=parsed.key_version,
        requester=parsed.requester,
    )
    return forged.to_bytes()


def test_a_self_made_subject_is_refused_and_nothing_is_converted(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    service_token = stack.token("contacts-service", ["kcc"], ["service"])
    insider = PseudonymClient(stack.channel, service_token)
    kcc_key = insider.domain_key("kcc")
    stored = _kcc_pseudonym_in_store(stack, insider)
    self_encrypted = pep.encrypt(stored, kcc_key.public_key).to_bytes()
    guessed = pep.encrypt(pep.identity_point(GUESSED_BSN), insider.public_key()).to_bytes()
    resigned = _resigned(record_subject(stack, BSN))
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    audit_token = stack.token("contacts-service", ["audit"], ["service"])
    before = _tree_size(stack)
    caplog.set_level(logging.INFO, logger="stadskamer.rpc")
    caplog.clear()
    attempts: list[tuple[dict[str, object], str, str]] = [
        ({"subject_encrypted": self_encrypted, "subject_domain": "kcc"}, "subject_encrypted", ""),
        ({"subject_polymorphic": guessed}, "subject_polymorphic", ""),
        ({"subject_tagged": self_encrypted}, "subject_tagged", ""),
        ({"subject_tagged": resigned}, "subject_tagged", "TAG_KEY_UNKNOWN"),
    ]
    for subject, field, expected in attempts:
        with pytest.raises(grpc.RpcError) as raised:
            stub.AppendRecords(
                pb.AppendRecordsRequest(records=[_record(**subject)]),
                metadata=_metadata(audit_token),
            )
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        reason, fields = _status(raised.value)
        assert reason == (expected or "UNTAGGED_PSEUDONYM") and fields == [f"records[0].{field}"]
    conversions = [m for m in caplog.messages if any(name in m for name in CONVERSIONS)]
    assert conversions == []
    assert _tree_size(stack) == before


def _register_contact(stack: Stack) -> str:
    agent = stack.token("agent-kcc-1", ["kcc"], ["agent"])
    request = contacts_pb.RegisterContactRequest(
        request_id="audit-subjects-kcc-1",
        domain="kcc",
        subject=issued(stack, BSN, "kcc"),
        channel=channel_pb2.CHANNEL_PHONE,
        topic="afval",
        org_unit="kcc-telefonie",
        summary="Container niet geleegd.",
    )
    request.occurred_at.GetCurrentTime()
    response = contacts_grpc.ContactsServiceStub(stack.channel).RegisterContact(
        request, metadata=_metadata(agent), timeout=10
    )
    return str(response.contact.name)


def _file_complaint(stack: Stack) -> str:
    coordinator = stack.token("coordinator-kl-1", ["klachten"], ["coordinator", "agent"])
    response = complaints_grpc.ComplaintsServiceStub(stack.channel).FileComplaint(
        complaints_pb.FileComplaintRequest(
            request_id="audit-subjects-complaint-1",
            subject=issued(stack, BSN, "klachten"),
            channel=channel_pb2.CHANNEL_WEB_FORM,
            org_unit="burgerzaken",
            about_official=True,
            description="De ambtenaar aan de balie was onbeleefd.",
        ),
        metadata=_metadata(coordinator),
        timeout=10,
    )
    return str(response.complaint.name)


def _audit_rows(stack: Stack) -> list[tuple[str, bytes, str, str]]:
    """(operation, subject, reference, reporter) of every stored record, from its leaf."""
    return [
        (d["name"], bytes.fromhex(d["subject"]), d["reference"], d["reporter"])
        for d in audit_records(stack.data_dir)
    ]


def test_the_log_holds_no_value_of_a_domain_store_and_keeps_each_domains_subject_apart(
    stack: Stack,
) -> None:
    contact = _register_contact(stack)
    complaint = _file_complaint(stack)
    domain_values = {
        **stored_values(f"sqlite:///{stack.data_dir / 'contacts.db'}"),
        **stored_values(f"sqlite:///{stack.data_dir / 'complaints.db'}"),
    }
    rows = _audit_rows(stack)
    joins = [
        (name, form, domain_values[form])
        for name, subject, reference, _ in rows
        for form in {*value_forms(subject), *value_forms(reference)}
        if len(form) >= MIN_LENGTH and form in domain_values
    ]
    assert joins == []
    (registered,) = [r for r in rows if r[0] == "contacts.register"]
    (filed,) = [r for r in rows if r[0] == "complaints.file"]
    assert registered[1] and filed[1] and registered[1] != filed[1]
    assert registered[2] not in (contact, "") and filed[2] not in (complaint, "")

    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    request = pb.ListProcessingRequest(
        filter=pb.ProcessingFilter(subjects_tagged=officer_subjects(stack, BSN)),
        query_purpose=pb.QUERY_PURPOSE_SUBJECT_ACCESS,
    )
    found = stub.ListProcessing(request, metadata=_metadata(officer_token(stack))).records
    names = {r.record.name for r in found}
    assert {"contacts.register", "complaints.file"} <= names
    by_reference = pb.ListProcessingRequest(
        filter=pb.ProcessingFilter(reference=contact),
        query_purpose=pb.QUERY_PURPOSE_SUPERVISION,
    )
    named = stub.ListProcessing(by_reference, metadata=_metadata(officer_token(stack))).records
    assert "contacts.register" in {r.record.name for r in named}
