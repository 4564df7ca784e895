"""The processing log through the embedded stack: RemoteProcessingLog, queries, heads, proofs."""

from __future__ import annotations

import struct

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry import trace

from stadskamer import pep
from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.client import PseudonymClient, decrypt_pseudonym
from stadskamer.common.keys import KeyLayout, read_ed25519_public_key
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.remote_processing_log import RemoteProcessingLog
from tests.support.databases import dump_database_text, files_containing
from tests.support.stack import Stack
from tests.unit.audit import rfc9162

BSN, OTHER_BSN = "111222333", "123456782"


def _metadata(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _remote(stack: Stack, subject: str = "kcc-service") -> RemoteProcessingLog:
    token = stack.token(subject, ["kcc"], ["service"])
    return RemoteProcessingLog.connect(stack.address, lambda: token)


def _fresh_pp(stack: Stack, bsn: str) -> bytes:
    client = PseudonymClient(stack.channel, stack.token("front", ["kcc"], ["agent"]))
    return client.polymorphic_pseudonym(bsn)


def _list(stack: Stack, **filters: object) -> list[pb.LoggedRecord]:
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    request = pb.ListProcessingRequest(
        filter=pb.ProcessingFilter(**filters),  # type: ignore[arg-type]
        query_purpose=pb.QUERY_PURPOSE_SUBJECT_ACCESS,
    )
    token = stack.token("po-1", [], ["privacy-officer"])
    return list(stub.ListProcessing(request, metadata=_metadata(token)).records)


def _head(stack: Stack) -> pb.SignedTreeHead:
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    token = stack.token("witness", [], ["analyst"])
    return stub.GetTreeHead(pb.GetTreeHeadRequest(), metadata=_metadata(token))


def test_records_are_found_by_any_polymorphic_pseudonym_of_the_citizen(stack: Stack) -> None:
    log = _remote(stack)
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("contacts.register") as span:
        first = ProcessingRecord.now(
            "contacts.register", "OK", actor="agent-7", subject_polymorphic=_fresh_pp(stack, BSN)
        )
        log.append(first)
    log.append_many(
        [
            ProcessingRecord.now(
                "contacts.register", "OK", subject_polymorphic=_fresh_pp(stack, BSN)
            ),
            ProcessingRecord.now(
                "contacts.register", "OK", subject_polymorphic=_fresh_pp(stack, OTHER_BSN)
            ),
            ProcessingRecord.now("consent.grant", "DENIED", subject="ab" * 32),
        ]
    )
    found = _list(stack, subject_polymorphic=_fresh_pp(stack, BSN))
    assert [r.leaf_index for r in found] == [0, 1]
    assert found[0].subject == found[1].subject and len(found[0].subject) == 32
    assert found[0].record.trace_id == span.get_span_context().trace_id.to_bytes(16, "big")
    assert found[0].record.actor == "agent-7" and found[0].reporter == "kcc-service"
    assert found[0].processing_activity_id == "klantcontacten"
    kcc = PseudonymClient(stack.channel, stack.token("c", ["kcc"], ["service"])).domain_key("kcc")
    kcc_pseudonym = decrypt_pseudonym(
        PseudonymClient(stack.channel, stack.token("c", ["kcc"], ["service"])).transcrypt(
            _fresh_pp(stack, BSN), "kcc"
        ),
        kcc,
    )
    assert found[0].subject != kcc_pseudonym
    everything = _list(stack)
    assert everything[3].subject == b"" and everything[3].record.outcome == "DENIED"
    assert everything[3].record.status == pb.PROCESSING_STATUS_ERROR
    queries = [r for r in everything if r.record.name == "audit.subject-access"]
    assert queries and queries[0].subject == found[0].subject
    assert queries[0].record.actor == "po-1"
    dump = dump_database_text(f"sqlite:///{stack.data_dir / 'audit.db'}")
    assert BSN not in dump and OTHER_BSN not in dump
    assert files_containing(stack.data_dir, [BSN, OTHER_BSN]) == []


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
    bad = pb.ProcessingRecord()
    bad.CopyFrom(good)
    bad.trace_id = bytes(3)
    bad.subject_polymorphic = bytes(95)
    with pytest.raises(grpc.RpcError) as raised:
        stub.AppendRecords(pb.AppendRecordsRequest(records=[good, bad]), metadata=service)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(raised.value)) == {
        "records[1].trace_id",
        "records[1].subject_polymorphic",
    }
    with pytest.raises(grpc.RpcError) as raised:
        stub.AppendRecords(pb.AppendRecordsRequest(records=[good]), metadata=agent)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListProcessing(
            pb.ListProcessingRequest(query_purpose=pb.QUERY_PURPOSE_SUPERVISION), metadata=service
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    officer = _metadata(stack.token("po-1", [], ["privacy-officer"]))
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListProcessing(pb.ListProcessingRequest(), metadata=officer)
    assert _violations(raised.value) == ["query_purpose"]
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetTreeHead(pb.GetTreeHeadRequest())
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _head(stack).tree_size == 0
    assert stub.AppendRecords(
        pb.AppendRecordsRequest(records=[good]), metadata=service
    ).leaf_indexes == [0]


def test_heads_and_proofs_verify_with_the_published_key_and_the_rfc(stack: Stack) -> None:
    log = _remote(stack)
    subject = _fresh_pp(stack, BSN)
    heads = []
    for n in range(6):
        pp = pep.rerandomize(pep.Ciphertext.from_bytes(subject)).to_bytes()
        log.append(
            ProcessingRecord.now("history.read", "OK", actor=f"agent-{n}", subject_polymorphic=pp)
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
    for record in _list(stack, subject_polymorphic=subject)[:6]:
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
