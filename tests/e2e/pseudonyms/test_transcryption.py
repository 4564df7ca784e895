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
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.pep import tags
from tests.support.audit import audit_records
from tests.support.databases import dump_database_text, files_containing
from tests.support.stack import Stack

BSNS = ["111222333", "123456782", "012345672"]
PURPOSE = "contact-registration"


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


def _edge(stack: Stack, domains: list[str]) -> PseudonymClient:
    return PseudonymClient(stack.channel, stack.token("agent", domains, ["agent", "issuer"]))


def _service(stack: Stack, domain: str) -> PseudonymClient:
    return PseudonymClient(stack.channel, stack.token(f"{domain}-svc", [domain], ["service"]))


def test_two_domains_each_decrypt_only_their_own(stack: Stack) -> None:
    edge = _edge(stack, ["kcc", "burgerzaken"])
    kcc, bz = _service(stack, "kcc"), _service(stack, "burgerzaken")
    kcc_key, bz_key = kcc.domain_key("kcc"), bz.domain_key("burgerzaken")
    for bsn in BSNS:
        first, second = (edge.issue_one(bsn, "kcc", PURPOSE) for _ in range(2))
        assert first != second
        p_kcc = decrypt_pseudonym(kcc.claim(first, "kcc").reference, kcc_key)
        assert decrypt_pseudonym(kcc.claim(second, "kcc").reference, kcc_key) == p_kcc
        [[for_kcc, for_bz]] = edge.issue([bsn], ["kcc", "burgerzaken"], PURPOSE)
        assert for_kcc[2:98] != for_bz[2:98]
        p_bz = decrypt_pseudonym(bz.claim(for_bz, "burgerzaken").reference, bz_key)
        assert p_bz != p_kcc
        with pytest.raises(InvalidArgument):
            decrypt_pseudonym(for_bz, kcc_key)
        forced = pep.decrypt(tags.parse(for_bz).parsed_ciphertext(), kcc_key.secret_key)
        assert forced not in {p_kcc, p_bz}


def test_a_batch_claims_the_same_pseudonyms_as_single_calls(stack: Stack) -> None:
    edge, kcc = _edge(stack, ["kcc"]), _service(stack, "kcc")
    key = kcc.domain_key("kcc")
    batch = kcc.claim_many([(t[0], "kcc") for t in edge.issue(BSNS, ["kcc"], PURPOSE) if t])
    singles = [kcc.claim(edge.issue_one(b, "kcc", PURPOSE), "kcc") for b in BSNS]
    assert [decrypt_pseudonym(c.reference, key) for c in batch] == [
        decrypt_pseudonym(c.reference, key) for c in singles
    ]


def test_exported_key_file_decrypts_like_the_rpc_key(stack: Stack) -> None:
    from stadskamer.cli.keys_commands import export_domain_key
    from stadskamer.common.keys import KeyLayout

    path = export_domain_key(KeyLayout.under(stack.data_dir), "kcc")
    assert DomainKey.from_file(path) == _service(stack, "kcc").domain_key("kcc")


def test_a_claim_is_for_the_audience_once_and_other_domains_need_a_grant(stack: Stack) -> None:
    edge = _edge(stack, ["kcc"])
    issued = edge.issue_one(BSNS[0], "kcc", PURPOSE)
    with pytest.raises(PermissionDenied) as raised:
        _service(stack, "burgerzaken").claim(issued, "kcc")
    assert raised.value.reason == "NOT_THE_AUDIENCE"
    with pytest.raises(PermissionDenied) as raised:
        edge.convert(issued, "sociale-zaken")
    assert raised.value.reason == "LINK_GRANT_REQUIRED"
    claim = _service(stack, "kcc").claim(issued, "kcc")
    with pytest.raises(PermissionDenied) as raised:
        _service(stack, "kcc").claim(issued, "kcc")
    assert raised.value.reason == "TAG_SPENT"
    with pytest.raises(PermissionDenied) as raised:
        _service(stack, "kcc").convert(claim.reference, "burgerzaken")
    assert raised.value.reason == "LINK_GRANT_REQUIRED"


@pytest.mark.parametrize(
    ("request_fields", "field", "reason"),
    [
        (
            {"polymorphic_pseudonym": b"\1" * 96, "target_domain": "kcc"},
            "polymorphic_pseudonym",
            "",
        ),
        ({"encrypted_pseudonym": b"\1" * 96, "target_domain": "kcc"}, "encrypted_pseudonym", ""),
        ({"target_domain": "kcc"}, "source", ""),
        ({"tagged_pseudonym": "VALID", "target_domain": ""}, "target_domain", ""),
        ({"tagged_pseudonym": "VALID", "target_domain": "nowhere"}, "target_domain", ""),
        ({"tagged_pseudonym": b"\1" * 200, "target_domain": "kcc"}, "tagged_pseudonym", ""),
        (
            {"tagged_pseudonym": "RAW", "target_domain": "kcc"},
            "tagged_pseudonym",
            "UNTAGGED_PSEUDONYM",
        ),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field(
    stack: Stack, request_fields: dict[str, object], field: str, reason: str
) -> None:
    token = stack.token("kcc-svc", ["kcc"], ["service"])
    fields = dict(request_fields)
    if fields.get("tagged_pseudonym") == "VALID":
        fields["tagged_pseudonym"] = _edge(stack, ["kcc"]).issue_one(BSNS[0], "kcc", PURPOSE)
    if fields.get("tagged_pseudonym") == "RAW":
        public = PseudonymClient(stack.channel, token).public_key()
        fields["tagged_pseudonym"] = pep.encrypt(pep.identity_point(BSNS[0]), public).to_bytes()
    stub = pb_grpc.PseudonymServiceStub(stack.channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.Transcrypt(
            pb.TranscryptRequest(**fields), metadata=[("authorization", f"Bearer {token}")]
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(raised.value) == [field]
    if reason:
        assert _reason(raised.value) == reason


def test_batch_errors_name_the_item(stack: Stack) -> None:
    token = stack.token("kcc-svc", ["kcc"], ["service"])
    good = _edge(stack, ["kcc"]).issue_one(BSNS[0], "kcc", PURPOSE)
    request = pb.BatchTranscryptRequest(
        requests=[
            pb.TranscryptRequest(tagged_pseudonym=good, target_domain="kcc"),
            pb.TranscryptRequest(tagged_pseudonym=good[:10], target_domain="kcc"),
        ]
    )
    with pytest.raises(grpc.RpcError) as raised:
        pb_grpc.PseudonymServiceStub(stack.channel).BatchTranscrypt(
            request, metadata=[("authorization", f"Bearer {token}")]
        )
    assert _violations(raised.value) == ["requests[1].tagged_pseudonym"]


def test_issuance_answers_per_item_and_names_bad_requests(stack: Stack) -> None:
    edge = _edge(stack, ["kcc"])
    answers = edge.issue([BSNS[0], "123456789", BSNS[1]], ["kcc"], PURPOSE)
    assert answers[1] is None and answers[0] and answers[2]
    stub = pb_grpc.PseudonymServiceStub(stack.channel)
    metadata = [("authorization", f"Bearer {stack.token('a', ['kcc'], ['agent', 'issuer'])}")]
    with pytest.raises(grpc.RpcError) as raised:
        stub.IssuePolymorphicPseudonyms(
            pb.IssuePolymorphicPseudonymsRequest(bsns=[BSNS[0]]), metadata=metadata
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(raised.value) == ["audiences", "purpose"]
    assert not any(b in (raised.value.details() or "") for b in BSNS)


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
    other = _service(stack, "burgerzaken")
    for client in (agent, other):
        with pytest.raises(PermissionDenied):
            client.domain_key("kcc")
    database = f"sqlite:///{stack.data_dir / 'pseudonyms.db'}"
    assert "contacts-x" not in dump_database_text(database)
    PseudonymClient(stack.channel, stack.token("contacts-x", ["kcc"], ["service"])).domain_key(
        "kcc"
    )
    assert "contacts-x" in dump_database_text(database)
    records = audit_records(stack.data_dir, "pseudonyms.domain-key")
    assert [(r["actor"], r["target_domain"]) for r in records][-1] == ("contacts-x", "kcc")


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
    edge, kcc = _edge(stack, ["kcc"]), _service(stack, "kcc")
    for bsn in BSNS:
        kcc.claim(edge.issue_one(bsn, "kcc", PURPOSE), "kcc")
        with pytest.raises(PermissionDenied):
            edge.convert(edge.issue_one(bsn, "kcc", PURPOSE), "sociale-zaken")
    kcc.domain_key("kcc")
    assert files_containing(stack.data_dir, BSNS) == []
    assert not any(bsn in caplog.text for bsn in BSNS)
    finished = spans.get_finished_spans()
    assert any(s.name.endswith("PseudonymService/IssuePolymorphicPseudonyms") for s in finished)
    assert any(s.name.startswith("INSERT") for s in finished)
    exported = "".join(s.to_json() for s in finished)
    assert not any(bsn in exported for bsn in BSNS)


def test_only_a_service_of_the_audience_gets_a_report_subject(stack: Stack) -> None:
    edge, kcc = _edge(stack, ["kcc"]), _service(stack, "kcc")
    audit_key = _service(stack, "audit").domain_key("audit")
    claim = kcc.claim(edge.issue_one(BSNS[0], "kcc", PURPOSE), "kcc")
    [reported] = kcc.report_subjects([claim.reference])
    assert tags.parse(reported).audience == "audit/kcc"
    report_key = DomainKey(
        "audit/kcc", audit_key.key_version, audit_key.secret_key, audit_key.public_key
    )
    assert len(decrypt_pseudonym(reported, report_key)) == 32
    with pytest.raises(PermissionDenied):
        edge.report_subjects([claim.reference])
