"""The consent registry through real servers: grant, receipts, withdraw, list, refusals, privacy."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.api.consent.v1 import consent_pb2_grpc as pb_grpc
from stadskamer.common.link_grants import BadSignature, b64url, from_b64url
from stadskamer.consent.receipts import verify_receipt
from tests.e2e.consent.support import (
    HISTORY,
    ConsentStack,
    bad_fields,
    consent_alone,
    consent_rows,
    error_reason,
    grant_request,
)
from tests.support.audit import audit_records
from tests.support.databases import files_containing
from tests.support.stack import Stack
from tests.unit.consent.fakes import subject as self_made

BSNS = ["111222333", "123456782"]


def self_made_subject() -> bytes:
    """A well-formed tagged pseudonym of kcc whose tag no pseudonym service of ours signed."""
    return self_made(1, "kcc")


@pytest.fixture
def world(stack: Stack) -> ConsentStack:
    """The plain embedded stack (system clock) with consent helpers."""
    return ConsentStack(stack)


def _check(world: ConsentStack, subject: bytes, metadata: list[tuple[str, str]]) -> bool:
    request = pb.CheckConsentRequest(
        subject=subject, purpose=HISTORY, requester_domain="kcc", target_domain="burgerzaken"
    )
    return bool(world.consent.CheckConsent(request, metadata=metadata).allowed)


def _log(world: ConsentStack) -> list[dict[str, Any]]:
    """The consent service's records in the audit service's log."""
    return [r for r in audit_records(world.stack.data_dir) if r["reporter"] == "consent-service"]


def test_withdrawal_takes_effect_on_the_very_next_call(world: ConsentStack) -> None:
    agent = world.auth("agent-1", ["kcc"], ["agent"])
    consent = world.consent.GrantConsent(grant_request(world.subject(BSNS[0])), metadata=agent)
    assert consent.state == pb.CONSENT_STATE_ACTIVE
    assert _check(world, world.subject(BSNS[0]), agent)
    withdrawn = world.consent.WithdrawConsent(
        pb.WithdrawConsentRequest(name=consent.name, reason=pb.WITHDRAWAL_REASON_CITIZEN_REQUEST),
        metadata=agent,
    )
    assert not _check(world, world.subject(BSNS[0]), agent)
    assert withdrawn.state == pb.CONSENT_STATE_WITHDRAWN
    assert [e.kind for e in withdrawn.history] == [
        pb.CONSENT_EVENT_KIND_GIVEN,
        pb.CONSENT_EVENT_KIND_WITHDRAWN,
    ]
    with pytest.raises(grpc.RpcError) as again:
        world.consent.WithdrawConsent(
            pb.WithdrawConsentRequest(name=consent.name, reason=pb.WITHDRAWAL_REASON_PURPOSE_ENDED),
            metadata=agent,
        )
    assert again.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    officer = world.auth("privacy-1", ["kcc"], ["privacy-officer"])
    listed = world.consent.ListConsents(
        pb.ListConsentsRequest(subject=world.subject(BSNS[0])), metadata=officer
    )
    assert [c.name for c in listed.consents] == [consent.name]
    assert listed.consents[0].receipt == consent.receipt
    names = [r["name"] for r in _log(world)]
    assert names == [
        "consent.grant",
        "consent.check",
        "consent.withdraw",
        "consent.check",
        "consent.list",
    ]


def _public_key(world: ConsentStack) -> Ed25519PublicKey:
    published = world.consent.GetReceiptKey(pb.GetReceiptKeyRequest())
    key = serialization.load_pem_public_key(published.public_key_pem.encode())
    assert isinstance(key, Ed25519PublicKey) and published.algorithm == "EdDSA"
    jwk = jwt.PyJWK.from_dict(json.loads(published.jwks)["keys"][0])
    assert isinstance(jwk.key, Ed25519PublicKey)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    assert jwk.key.public_bytes(*raw) == key.public_bytes(*raw) == published.public_key
    return key


def test_receipts_verify_with_the_published_key_and_fail_when_a_field_changes(
    world: ConsentStack,
) -> None:
    agent = world.auth("agent-1", ["kcc"], ["agent"])
    consent = world.consent.GrantConsent(grant_request(world.subject(BSNS[1])), metadata=agent)
    key = _public_key(world)
    claims = verify_receipt(consent.receipt, key)
    assert claims["record_id"] == consent.name and claims["status"] == "given"
    assert claims["notice"]["hash"] == consent.notice_sha256.hex()
    purposes = world.consent.ListPurposes(pb.ListPurposesRequest()).purposes
    text = next(p for p in purposes if p.id == HISTORY).consent_text_sha256
    assert text == consent.notice_sha256
    header, payload, signature = consent.receipt.split(".")
    assert "pii_principal_id" not in claims
    for name in ("record_id", "status", "valid_until", "purpose", "pii_controller"):
        changed = {**json.loads(from_b64url(payload)), name: "changed"}
        forged = f"{header}.{b64url(json.dumps(changed).encode())}.{signature}"
        with pytest.raises(BadSignature):
            verify_receipt(forged, key)


def test_a_retried_grant_makes_one_consent_even_when_the_retries_race(
    world: ConsentStack,
) -> None:
    agent = world.auth("agent-1", ["kcc"], ["agent"])
    request = grant_request(world.subject(BSNS[0]), request_id="retry-me")
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(lambda _: world.consent.GrantConsent(request, metadata=agent), range(2))
        )
    answers.append(world.consent.GrantConsent(request, metadata=agent))
    assert len({a.name for a in answers}) == 1
    listed = world.consent.ListConsents(
        pb.ListConsentsRequest(subject=world.subject(BSNS[0])), metadata=agent
    )
    assert len(listed.consents) == 1


def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    world: ConsentStack,
) -> None:
    agent = world.auth("agent-1", ["kcc"], ["agent"])
    bad = grant_request(world.subject(BSNS[0]), purpose_version=0)
    bad.capture.channel = 0  # type: ignore[assignment]
    with pytest.raises(grpc.RpcError) as refused:
        world.consent.GrantConsent(bad, metadata=agent)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(refused.value) == {"purpose_version", "capture.channel"}
    for subject in (b"\x01" * 96, self_made_subject(), world.subject(BSNS[0], "burgerzaken")):
        with pytest.raises(grpc.RpcError) as malformed:
            world.consent.GrantConsent(grant_request(subject), metadata=agent)
        assert malformed.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert bad_fields(malformed.value) == {"subject"}
    with pytest.raises(grpc.RpcError) as unknown:
        world.consent.GrantConsent(grant_request(world.subject(BSNS[0]), "spam"), metadata=agent)
    assert bad_fields(unknown.value) == {"purpose"}
    assert consent_rows(f"sqlite:///{world.stack.data_dir / 'consent.db'}") == 0
    assert _log(world) == []


def test_callers_need_a_token_role_and_the_requester_domain(world: ConsentStack) -> None:
    subject = world.subject(BSNS[0])
    assert world.consent.ListPurposes(pb.ListPurposesRequest()).purposes
    with pytest.raises(grpc.RpcError) as anonymous:
        world.consent.GrantConsent(grant_request(subject))
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED
    analyst = world.auth("analyst-1", ["kcc"], ["analyst"])
    with pytest.raises(grpc.RpcError) as role:
        world.consent.GrantConsent(grant_request(subject), metadata=analyst)
    assert error_reason(role.value) == "ROLE_MISSING"
    burgerzaken = world.auth("agent-2", ["burgerzaken"], ["agent"])
    with pytest.raises(grpc.RpcError) as domain:
        _check(world, subject, burgerzaken)
    assert error_reason(domain.value) == "DOMAIN_NOT_IN_TOKEN"


def test_literal_bsns_never_reach_the_data_folder_or_the_logs(
    world: ConsentStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = world.auth("agent-1", ["kcc"], ["agent"])
    for bsn in BSNS:
        consent = world.consent.GrantConsent(grant_request(world.subject(bsn)), metadata=agent)
        _check(world, world.subject(bsn), agent)
        world.consent.IssueLinkGrant(
            pb.IssueLinkGrantRequest(
                subject=world.subject(bsn),
                purpose=HISTORY,
                requester_domain="kcc",
                target_domain="burgerzaken",
            ),
            metadata=agent,
        )
        world.consent.WithdrawConsent(
            pb.WithdrawConsentRequest(
                name=consent.name, reason=pb.WITHDRAWAL_REASON_CITIZEN_REQUEST
            ),
            metadata=agent,
        )
    assert files_containing(world.stack.data_dir, BSNS) == []
    assert not any(bsn in caplog.text for bsn in BSNS)
    assert len(_log(world)) == 8


def test_the_pseudonym_service_unreachable_means_unavailable_and_nothing_written(
    tmp_path: Path,
) -> None:
    with consent_alone(tmp_path) as (channel, token, database):
        stub = pb_grpc.ConsentServiceStub(channel)
        metadata = [("authorization", f"Bearer {token}")]
        with pytest.raises(grpc.RpcError) as refused:
            stub.GrantConsent(grant_request(self_made_subject()), metadata=metadata)
        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        assert error_reason(refused.value) == "DEPENDENCY_UNAVAILABLE"
        assert consent_rows(database) == 0
