"""The pseudonym service through a real server on port 0 and a real channel."""

from __future__ import annotations

import logging

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stadskamer import pep
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, PseudonymClient, decrypt_pseudonym
from tests.support.databases import dump_database_text, files_containing
from tests.support.stack import Stack

BSNS = ["111222333", "123456782", "012345672"]


def _violations(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)
    fields = []
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return fields


def _reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def test_two_domains_each_decrypt_only_their_own(stack: Stack) -> None:
    agent = PseudonymClient(stack.channel, stack.token("agent", ["kcc", "burgerzaken"], ["agent"]))
    kcc_key = PseudonymClient(stack.channel, stack.token("c", ["kcc"], ["service"])).domain_key(
        "kcc"
    )
    bz_key = PseudonymClient(
        stack.channel, stack.token("c", ["burgerzaken"], ["service"])
    ).domain_key("burgerzaken")
    for bsn in BSNS:
        first = agent.transcrypt(agent.polymorphic_pseudonym(bsn), "kcc")
        second = agent.transcrypt(agent.polymorphic_pseudonym(bsn), "kcc")
        for_bz = agent.transcrypt(agent.polymorphic_pseudonym(bsn), "burgerzaken")
        assert first != second
        p_kcc = decrypt_pseudonym(first, kcc_key)
        assert decrypt_pseudonym(second, kcc_key) == p_kcc
        p_bz = decrypt_pseudonym(for_bz, bz_key)
        assert p_bz != p_kcc
        with pytest.raises(pep.InvalidEncodingError):
            decrypt_pseudonym(for_bz, kcc_key)
        forced = pep.decrypt(pep.Ciphertext.from_bytes(for_bz), kcc_key.secret_key)
        assert forced not in {p_kcc, p_bz}


def test_batch_gives_the_same_pseudonyms_as_single_calls(stack: Stack) -> None:
    client = PseudonymClient(stack.channel, stack.token("s", ["kcc"], ["agent", "service"]))
    key = client.domain_key("kcc")
    polymorphics = [client.polymorphic_pseudonym(b) for b in BSNS]
    batch = client.transcrypt_many(polymorphics, "kcc")
    singles = [client.transcrypt(p, "kcc") for p in polymorphics]
    assert [decrypt_pseudonym(e, key) for e in batch] == [
        decrypt_pseudonym(e, key) for e in singles
    ]


def test_exported_key_file_decrypts_like_the_rpc_key(stack: Stack) -> None:
    from stadskamer.cli.keys_commands import export_domain_key
    from stadskamer.common.keys import KeyLayout

    path = export_domain_key(KeyLayout.under(stack.data_dir), "kcc")
    client = PseudonymClient(stack.channel, stack.token("s", ["kcc"], ["agent", "service"]))
    assert DomainKey.from_file(path) == client.domain_key("kcc")


def test_conversion_into_another_domain_is_refused_without_a_grant(stack: Stack) -> None:
    client = PseudonymClient(stack.channel, stack.token("kcc-frontend", ["kcc"], ["agent"]))
    pp = client.polymorphic_pseudonym(BSNS[0])
    with pytest.raises(grpc.RpcError) as raised:
        client.transcrypt(pp, "sociale-zaken")
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _reason(raised.value) == "LINK_GRANT_REQUIRED"
    stub = pb_grpc.PseudonymServiceStub(stack.channel)
    ep = client.transcrypt(pp, "kcc")
    request = pb.TranscryptRequest(
        encrypted_pseudonym=ep, source_domain="kcc", target_domain="burgerzaken"
    )
    with pytest.raises(grpc.RpcError) as raised:
        stub.Transcrypt(
            request,
            metadata=[
                ("authorization", f"Bearer {stack.token('x', ['kcc', 'burgerzaken'], ['agent'])}")
            ],
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"polymorphic_pseudonym": b"\1" * 95, "target_domain": "kcc"}, "polymorphic_pseudonym"),
        ({"polymorphic_pseudonym": b"\1" * 96, "target_domain": "kcc"}, "polymorphic_pseudonym"),
        ({"polymorphic_pseudonym": bytes(96), "target_domain": "kcc"}, "polymorphic_pseudonym"),
        ({"target_domain": "kcc"}, "source"),
        ({"encrypted_pseudonym": b"\1" * 96, "target_domain": "kcc"}, "source_domain"),
        ({"polymorphic_pseudonym": "VALID", "target_domain": ""}, "target_domain"),
        ({"polymorphic_pseudonym": "VALID", "target_domain": "nowhere"}, "target_domain"),
        ({"polymorphic_pseudonym": "OTHER_KEY", "target_domain": "kcc"}, "polymorphic_pseudonym"),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field(
    stack: Stack, request_fields: dict[str, object], field: str
) -> None:
    token = stack.token("agent", ["kcc"], ["agent"])
    client = PseudonymClient(stack.channel, token)
    fields = dict(request_fields)
    if fields.get("polymorphic_pseudonym") == "VALID":
        fields["polymorphic_pseudonym"] = client.polymorphic_pseudonym(BSNS[0])
    if fields.get("polymorphic_pseudonym") == "OTHER_KEY":
        fields["polymorphic_pseudonym"] = pep.encrypt(
            pep.identity_point(BSNS[0]), pep.public_key(pep.random_scalar())
        ).to_bytes()
    stub = pb_grpc.PseudonymServiceStub(stack.channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.Transcrypt(
            pb.TranscryptRequest(**fields), metadata=[("authorization", f"Bearer {token}")]
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(raised.value) == [field]


def test_batch_errors_name_the_item(stack: Stack) -> None:
    token = stack.token("agent", ["kcc"], ["agent"])
    good = PseudonymClient(stack.channel, token).polymorphic_pseudonym(BSNS[0])
    request = pb.BatchTranscryptRequest(
        requests=[
            pb.TranscryptRequest(polymorphic_pseudonym=good, target_domain="kcc"),
            pb.TranscryptRequest(polymorphic_pseudonym=good[:10], target_domain="kcc"),
        ]
    )
    with pytest.raises(grpc.RpcError) as raised:
        pb_grpc.PseudonymServiceStub(stack.channel).BatchTranscrypt(
            request, metadata=[("authorization", f"Bearer {token}")]
        )
    assert _violations(raised.value) == ["requests[1].polymorphic_pseudonym"]


def test_tokens_missing_expired_or_forged_are_unauthenticated(stack: Stack) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from stadskamer.common.auth import TokenIssuer

    forged = TokenIssuer(Ed25519PrivateKey.generate()).issue("x", ["kcc"], ["agent"], 60)
    expired = stack.token("x", ["kcc"], ["agent"], ttl=-10)
    stub = pb_grpc.PseudonymServiceStub(stack.channel)
    for metadata in (
        [],
        [("authorization", f"Bearer {forged}")],
        [("authorization", f"Bearer {expired}")],
        [("authorization", "Basic abc")],
    ):
        with pytest.raises(grpc.RpcError) as raised:
            stub.GetPublicKey(pb.GetPublicKeyRequest(), metadata=metadata)
        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_domain_keys_go_only_to_services_of_that_domain_and_are_recorded(stack: Stack) -> None:
    agent = PseudonymClient(stack.channel, stack.token("agent", ["kcc"], ["agent"]))
    other = PseudonymClient(stack.channel, stack.token("svc", ["burgerzaken"], ["service"]))
    for client in (agent, other):
        with pytest.raises(grpc.RpcError) as raised:
            client.domain_key("kcc")
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    database = f"sqlite:///{stack.data_dir / 'pseudonyms.db'}"
    assert "contacts-x" not in dump_database_text(database)
    PseudonymClient(stack.channel, stack.token("contacts-x", ["kcc"], ["service"])).domain_key(
        "kcc"
    )
    assert "contacts-x" in dump_database_text(database)


def test_health_and_reflection_need_no_token(stack: Stack) -> None:
    health = health_pb2_grpc.HealthStub(stack.channel)
    for service in ("", "stadskamer.pseudonyms.v1.PseudonymService"):
        response = health.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(stack.channel)
    answers = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = {s.name for answer in answers for s in answer.list_services_response.service}
    assert "stadskamer.pseudonyms.v1.PseudonymService" in names


def test_bsns_never_reach_files_logs_or_spans(
    stack: Stack, caplog: pytest.LogCaptureFixture, spans: InMemorySpanExporter
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = PseudonymClient(stack.channel, stack.token("agent", ["kcc"], ["agent", "service"]))
    for bsn in BSNS:
        agent.transcrypt(agent.polymorphic_pseudonym(bsn), "kcc")
        with pytest.raises(grpc.RpcError):
            agent.transcrypt(agent.polymorphic_pseudonym(bsn), "sociale-zaken")
    agent.domain_key("kcc")
    assert files_containing(stack.data_dir, BSNS) == []
    assert not any(bsn in caplog.text for bsn in BSNS)
    finished = spans.get_finished_spans()
    assert any(s.name.endswith("PseudonymService/Transcrypt") for s in finished)
    assert any(s.name.startswith("INSERT") for s in finished)
    exported = "".join(s.to_json() for s in finished)
    assert not any(bsn in exported for bsn in BSNS)


def test_only_a_service_may_have_a_subject_encrypted_for_the_audit_domain(stack: Stack) -> None:
    service = PseudonymClient(stack.channel, stack.token("contacts", ["kcc"], ["service"]))
    agent = PseudonymClient(stack.channel, stack.token("agent", ["kcc"], ["agent"]))
    audit_key = PseudonymClient(
        stack.channel, stack.token("audit", ["audit"], ["service"])
    ).domain_key("audit")
    polymorphic = service.polymorphic_pseudonym(BSNS[0])
    for_audit = service.transcrypt(polymorphic, "audit")
    direct = decrypt_pseudonym(
        service.transcrypt(service.polymorphic_pseudonym(BSNS[0]), "audit"), audit_key
    )
    assert decrypt_pseudonym(for_audit, audit_key) == direct
    with pytest.raises(grpc.RpcError) as raised:
        agent.transcrypt(polymorphic, "audit")
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
