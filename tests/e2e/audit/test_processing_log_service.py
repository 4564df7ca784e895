"""The processing log through the embedded stack: RemoteProcessingLog, tagged subjects per
reporting domain, keyed references, queries, heads, proofs."""

from __future__ import annotations

import struct

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry import trace

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.client import PseudonymClient, decrypt_pseudonym
from stadskamer.common.keys import KeyLayout, read_ed25519_public_key
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.remote_processing_log import RemoteProcessingLog
from tests.support.audit import OFFICER, issued, officer_subjects, officer_token, record_subject
from tests.support.databases import dump_database_text, files_containing
from tests.support.stack import Stack
from tests.unit.audit import rfc9162

BSN, OTHER_BSN = "111222333", "123456782"


def _metadata(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _remote(stack: Stack, subject: str = "kcc-service") -> RemoteProcessingLog:
    token = stack.token(subject, ["kcc"], ["service"])
    return RemoteProcessingLog.connect(stack.address, lambda: token)


def _list(stack: Stack, **filters: object) -> list[pb.LoggedRecord]:
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    request = pb.ListProcessingRequest(
        filter=pb.ProcessingFilter(**filters),  # type: ignore[arg-type]
        query_purpose=pb.QUERY_PURPOSE_SUBJECT_ACCESS,
    )
    token = officer_token(stack)
    return list(stub.ListProcessing(request, metadata=_metadata(token)).records)


def _head(stack: Stack) -> pb.SignedTreeHead:
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    token = stack.token("witness", [], ["analyst"])
    return stub.GetTreeHead(pb.GetTreeHeadRequest(), metadata=_metadata(token))


def test_records_are_found_by_the_officers_issuance_into_audit(stack: Stack) -> None:
    log = _remote(stack)
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("contacts.register") as span:
        first = ProcessingRecord.now(
            "contacts.register",
            "OK",
            actor="agent-7",
            reference="contacts/c-1",
            target_domain="kcc",
            subject_tagged=record_subject(stack, BSN, "kcc"),
        )
        log.append(first)
    log.append_many(
        [
            ProcessingRecord.now(
                "complaints.file", "OK", subject_tagged=record_subject(stack, BSN, "klachten")
            ),
            ProcessingRecord.now(
                "contacts.register", "OK", subject_tagged=record_subject(stack, OTHER_BSN)
            ),
            ProcessingRecord.now("consent.grant", "DENIED", subject="ab" * 32),
        ]
    )
    listed = _list(stack, subjects_tagged=officer_subjects(stack, BSN))
    issuances = [r for r in listed if r.record.name == "pseudonyms.issue"]
    found = [r for r in listed if r.record.name != "pseudonyms.issue"]
    assert [r.record.name for r in found] == ["contacts.register", "complaints.file"]
    assert len(issuances) == 3  # the kcc and the klachten pseudonym, and this query's
    assert found[0].subject != found[1].subject and len(found[0].subject) == 32
    assert found[0].record.trace_id == span.get_span_context().trace_id.to_bytes(16, "big")
    assert found[0].record.actor == "agent-7" and found[0].reporter == "kcc-service"
    assert found[0].processing_activity_id == "klantcontacten"
    assert found[0].record.reference.startswith("keyed:")
    assert [r.leaf_index for r in _list(stack, reference="contacts/c-1")] == [found[0].leaf_index]
    kcc = PseudonymClient(stack.channel, stack.token("c", ["kcc"], ["service"]))
    claimed = kcc.claim(issued(stack, BSN, "kcc"), "kcc").reference
    assert found[0].subject != decrypt_pseudonym(claimed, kcc.domain_key("kcc"))
    everything = _list(stack)
    (denied,) = [r for r in everything if r.record.name == "consent.grant"]
    assert denied.subject == b"" and denied.record.outcome == "DENIED"
    assert denied.record.status == pb.PROCESSING_STATUS_ERROR
    queries = [r for r in everything if r.record.name == "audit.subject-access"]
    assert queries and queries[0].subject and queries[0].record.actor == OFFICER
    again = _list(stack, subjects_tagged=officer_subjects(stack, BSN))
    assert {found[0].leaf_index, found[1].leaf_index, queries[0].leaf_index} <= {
        r.leaf_index for r in again
    }
    dump = dump_database_text(f"sqlite:///{stack.data_dir / 'audit.db'}")
    assert BSN not in dump and OTHER_BSN not in dump and "c-1" not in dump
    assert files_containing(stack.data_dir, [BSN, OTHER_BSN]) == []


def _reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def _violations(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    fields = []
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return fields


def test_refusals_name_the_problem_and_write_nothing(stack: Stack) -> None:
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    service = _metadata(stack.token("kcc-service", ["kcc"], ["service"]))
    agent = _metadata(stack.token("agent-1", ["kcc"], ["agent"]))
    good = pb.ProcessingRecord(
        record_id="a" * 32,
        trace_id=bytes(16),
        operation_id=bytes(8),
        name="contacts.register",
        status=pb.PROCESSING_STATUS_OK,
    )
    good.start_time.GetCurrentTime()
    kcc_pseudonym = issued(stack, BSN, "kcc")  # recorded by the pseudonym service
    before = _head(stack).tree_size
    bad = pb.ProcessingRecord()
    bad.CopyFrom(good)
    bad.trace_id = bytes(3)
    with pytest.raises(grpc.RpcError) as raised:
        stub.AppendRecords(pb.AppendRecordsRequest(records=[good, bad]), metadata=service)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(raised.value) == ["records[1].trace_id"]
    for name in ("subject_polymorphic", "subject_encrypted"):
        untagged = pb.ProcessingRecord()
        untagged.CopyFrom(good)
        setattr(untagged, name, bytes(96))
        with pytest.raises(grpc.RpcError) as raised:
            stub.AppendRecords(pb.AppendRecordsRequest(records=[good, untagged]), metadata=service)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert _reason(raised.value) == "UNTAGGED_PSEUDONYM"
        assert _violations(raised.value) == [f"records[1].{name}"]
    self_made = pb.ProcessingRecord()
    self_made.CopyFrom(good)
    self_made.subject_tagged = bytes(96)
    with pytest.raises(grpc.RpcError) as raised:
        stub.AppendRecords(pb.AppendRecordsRequest(records=[self_made]), metadata=service)
    assert _violations(raised.value) == ["records[0].subject_tagged"]
    with pytest.raises(grpc.RpcError) as raised:
        stub.AppendRecords(pb.AppendRecordsRequest(records=[good]), metadata=agent)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListProcessing(
            pb.ListProcessingRequest(query_purpose=pb.QUERY_PURPOSE_SUPERVISION), metadata=service
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    officer = _metadata(officer_token(stack))
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListProcessing(pb.ListProcessingRequest(), metadata=officer)
    assert _violations(raised.value) == ["query_purpose"]
    by_polymorphic = pb.ListProcessingRequest(
        filter=pb.ProcessingFilter(subject_polymorphic=bytes(96)),
        query_purpose=pb.QUERY_PURPOSE_SUBJECT_ACCESS,
    )
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListProcessing(by_polymorphic, metadata=officer)
    assert _reason(raised.value) == "UNTAGGED_PSEUDONYM"
    assert _violations(raised.value) == ["filter.subject_polymorphic"]
    by_kcc_pseudonym = pb.ListProcessingRequest(
        filter=pb.ProcessingFilter(subjects_tagged=[kcc_pseudonym]),
        query_purpose=pb.QUERY_PURPOSE_SUBJECT_ACCESS,
    )
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListProcessing(by_kcc_pseudonym, metadata=officer)
    assert _violations(raised.value) == ["filter.subjects_tagged[0]"]
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetTreeHead(pb.GetTreeHeadRequest())
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _head(stack).tree_size == before
    assert stub.AppendRecords(
        pb.AppendRecordsRequest(records=[good]), metadata=service
    ).leaf_indexes == [before]


def test_heads_and_proofs_verify_with_the_published_key_and_the_rfc(stack: Stack) -> None:
    log = _remote(stack)
    heads = []
    for n in range(6):
        log.append(
            ProcessingRecord.now(
                "history.read", "OK", actor=f"agent-{n}", subject_tagged=record_subject(stack, BSN)
            )
        )
        heads.append(_head(stack))
    head = heads[-1]
    public_key = read_ed25519_public_key(KeyLayout.under(stack.data_dir).audit_public_key)
    signed = (
        b"stadskamer-audit-sth-v1\x00"
        + struct.pack(">QQ", head.tree_size, head.timestamp.ToMilliseconds())
        + head.root_hash
    )
    public_key.verify(head.signature, signed)
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    witness = _metadata(stack.token("witness", [], ["analyst"]))
    for record in _list(stack, subjects_tagged=officer_subjects(stack, BSN))[:6]:
        proof = stub.GetInclusionProof(
            pb.GetInclusionProofRequest(leaf_index=record.leaf_index, tree_size=head.tree_size),
            metadata=witness,
        )
        assert proof.leaf_hash == record.leaf_hash
        assert rfc9162.verify_inclusion(
            record.leaf_index,
            head.tree_size,
            record.leaf_hash,
            list(proof.inclusion_path),
            head.root_hash,
        )
    for earlier in heads[:-1]:
        proof = stub.GetConsistencyProof(
            pb.GetConsistencyProofRequest(first_size=earlier.tree_size, second_size=head.tree_size),
            metadata=witness,
        )
        assert rfc9162.verify_consistency(
            earlier.tree_size,
            head.tree_size,
            earlier.root_hash,
            head.root_hash,
            list(proof.consistency_path),
        )
