"""Consent-gated transcryption through the real server: grants honoured once, forgeries refused.

The grants here are signed with the deployment's consent key, as the consent service signs
them; the consent service's own checks are tested in the consent suites.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.client import PseudonymClient, decrypt_pseudonym, encrypt_pseudonym
from stadskamer.common import link_grants
from stadskamer.common.keys import KeyLayout, read_ed25519_private_key
from stadskamer.common.link_grants import LinkGrant
from tests.e2e.pseudonyms.test_transcryption import _reason
from tests.support.audit import audit_records
from tests.support.stack import Stack

BSN = "123456782"
PURPOSE = "integrated-contact-history"


def _consent_key(stack: Stack) -> Ed25519PrivateKey:
    return read_ed25519_private_key(KeyLayout.under(stack.data_dir).consent_private_key)


def _grant(subject: bytes, target: str = "burgerzaken", **changes: object) -> LinkGrant:
    grant = LinkGrant.create(subject, "kcc", target, PURPOSE, "consents/7", datetime.now(UTC))
    return replace(grant, **changes)  # type: ignore[arg-type]


def _transcrypt(stack: Stack, token: str, **fields: object) -> bytes:
    stub = pb_grpc.PseudonymServiceStub(stack.channel)
    response = stub.Transcrypt(
        pb.TranscryptRequest(**fields), metadata=[("authorization", f"Bearer {token}")]
    )
    return bytes(response.encrypted_pseudonym)


def _records(stack: Stack) -> list[dict[str, str]]:
    return audit_records(stack.data_dir, "pseudonyms.transcrypt")


def test_a_valid_grant_converts_once_and_is_recorded(stack: Stack) -> None:
    token = stack.token("kcc-frontend", ["kcc"], ["agent"])
    pp = PseudonymClient(stack.channel, token).polymorphic_pseudonym(BSN)
    grant = _grant(pp)
    signed = link_grants.issue(grant, _consent_key(stack))
    fields = {"polymorphic_pseudonym": pp, "target_domain": "burgerzaken", "link_grant": signed}
    encrypted = _transcrypt(stack, token, **fields)
    service = PseudonymClient(
        stack.channel, stack.token("s", ["burgerzaken"], ["service", "agent"])
    )
    own = service.transcrypt(service.polymorphic_pseudonym(BSN), "burgerzaken")
    key = service.domain_key("burgerzaken")
    assert decrypt_pseudonym(encrypted, key) == decrypt_pseudonym(own, key)
    with pytest.raises(grpc.RpcError) as raised:
        _transcrypt(stack, token, **fields)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _reason(raised.value) == "LINK_GRANT_REPLAYED"
    records = _records(stack)
    assert [(r["outcome"], r["reference"]) for r in records] == [
        ("OK", grant.grant_id),
        ("DENIED", "LINK_GRANT_REPLAYED"),
    ]
    assert records[0]["basis"] == "consents/7" and records[0]["actor"] == "kcc-frontend"
    assert records[0]["purpose"] == PURPOSE and records[0]["requester_domain"] == "kcc"


def test_a_grant_converts_an_encrypted_pseudonym_of_the_requester(stack: Stack) -> None:
    kcc = PseudonymClient(stack.channel, stack.token("kcc-svc", ["kcc"], ["agent", "service"]))
    p_kcc = decrypt_pseudonym(
        kcc.transcrypt(kcc.polymorphic_pseudonym(BSN), "kcc"), kcc.domain_key("kcc")
    )
    encrypted = encrypt_pseudonym(p_kcc, kcc.domain_key("kcc"))
    signed = link_grants.issue(_grant(encrypted), _consent_key(stack))
    converted = _transcrypt(
        stack,
        stack.token("kcc-svc", ["kcc"], ["agent"]),
        encrypted_pseudonym=encrypted,
        source_domain="kcc",
        target_domain="burgerzaken",
        link_grant=signed,
    )
    bz = PseudonymClient(stack.channel, stack.token("bz", ["burgerzaken"], ["agent", "service"]))
    own = bz.transcrypt(bz.polymorphic_pseudonym(BSN), "burgerzaken")
    key = bz.domain_key("burgerzaken")
    assert decrypt_pseudonym(converted, key) == decrypt_pseudonym(own, key)


@pytest.mark.parametrize(
    ("make_grant", "reason"),
    [
        (
            lambda s, pp, key: link_grants.issue(_grant(pp), Ed25519PrivateKey.generate()),
            "LINK_GRANT_SIGNATURE_INVALID",
        ),
        (
            lambda s, pp, key: link_grants.issue(
                _grant(
                    pp,
                    issued_at=datetime.now(UTC) - timedelta(seconds=90),
                    expires_at=datetime.now(UTC) - timedelta(seconds=40),
                ),
                key,
            ),
            "LINK_GRANT_EXPIRED",
        ),
        (
            lambda s, pp, key: link_grants.issue(_grant(pp, target="sociale-zaken"), key),
            "LINK_GRANT_WRONG_TARGET",
        ),
        (lambda s, pp, key: link_grants.issue(_grant(pp[::-1]), key), "LINK_GRANT_WRONG_SUBJECT"),
        (
            lambda s, pp, key: link_grants.issue(_grant(pp, requester_domain="belastingen"), key),
            "LINK_GRANT_WRONG_REQUESTER",
        ),
        (
            lambda s, pp, key: link_grants.issue(_grant(pp), key)[:-4] + "AAAA",
            "LINK_GRANT_SIGNATURE_INVALID",
        ),
        (lambda s, pp, key: "not.a.grant", "LINK_GRANT_MALFORMED"),
    ],
)
def test_forged_expired_retargeted_or_misbound_grants_are_refused(
    stack: Stack,
    make_grant,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    token = stack.token("kcc-frontend", ["kcc"], ["agent"])
    pp = PseudonymClient(stack.channel, token).polymorphic_pseudonym(BSN)
    signed = make_grant(stack, pp, _consent_key(stack))
    with pytest.raises(grpc.RpcError) as raised:
        _transcrypt(
            stack, token, polymorphic_pseudonym=pp, target_domain="burgerzaken", link_grant=signed
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _reason(raised.value) == reason
    assert [r["outcome"] for r in _records(stack)] == ["DENIED"]


def test_a_pushed_pseudonym_reaches_the_receiving_domain_under_a_consent_service_grant(
    stack: Stack,
) -> None:
    from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc

    klachten = PseudonymClient(stack.channel, stack.token("complaints", ["klachten"], ["service"]))
    klachten_key = klachten.domain_key("klachten")
    p_klachten = decrypt_pseudonym(
        klachten.transcrypt(klachten.polymorphic_pseudonym(BSN), "klachten"), klachten_key
    )
    pushed = encrypt_pseudonym(p_klachten, klachten_key)
    surveys_token = stack.token("surveys", ["onderzoek"], ["service"])
    consent = consent_pb2_grpc.ConsentServiceStub(stack.channel)
    metadata = [("authorization", f"Bearer {surveys_token}")]
    granted = consent.IssueLinkGrant(
        consent_pb2.IssueLinkGrantRequest(
            subject=pushed,
            subject_domain="klachten",
            purpose="satisfaction-survey",
            requester_domain="onderzoek",
            target_domain="klachten",
        ),
        metadata=metadata,
    )
    assert granted.basis.kind == consent_pb2.BASIS_KIND_LEGAL_BASIS
    converted = _transcrypt(
        stack,
        surveys_token,
        encrypted_pseudonym=pushed,
        source_domain="klachten",
        target_domain="onderzoek",
        link_grant=granted.link_grant,
    )
    onderzoek = PseudonymClient(
        stack.channel, stack.token("o", ["onderzoek"], ["service", "agent"])
    )
    own = onderzoek.transcrypt(onderzoek.polymorphic_pseudonym(BSN), "onderzoek")
    key = onderzoek.domain_key("onderzoek")
    assert decrypt_pseudonym(converted, key) == decrypt_pseudonym(own, key)
    with pytest.raises(grpc.RpcError) as raised:
        consent.IssueLinkGrant(
            consent_pb2.IssueLinkGrantRequest(
                subject=pushed,
                subject_domain="klachten",
                purpose="research-panel",
                requester_domain="onderzoek",
                target_domain="klachten",
            ),
            metadata=metadata,
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
