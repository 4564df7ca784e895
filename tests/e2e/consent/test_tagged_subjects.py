"""Link grants for tagged subjects through real servers: bound to the tag and the presenter,
pulls with an issued pseudonym, pushes with a refreshed stored reference."""

from __future__ import annotations

import grpc
import pytest

from stadskamer.api.audit.v1 import audit_pb2, audit_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.client import PseudonymClient
from stadskamer.common.errors import PermissionDenied
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind
from tests.e2e.consent.support import HISTORY, ConsentStack, error_reason, grant_request
from tests.support.audit import officer_subjects, officer_token
from tests.support.stack import Stack

BSN = "111222333"


@pytest.fixture
def world(stack: Stack) -> ConsentStack:
    """The plain embedded stack with consent helpers."""
    return ConsentStack(stack)


def _grant(
    world: ConsentStack, subject: bytes, metadata: list[tuple[str, str]], **query: str
) -> pb.IssueLinkGrantResponse:
    fields = {
        "purpose": HISTORY,
        "requester_domain": "kcc",
        "target_domain": "burgerzaken",
        **query,
    }
    request = pb.IssueLinkGrantRequest(subject=subject, **fields)
    return world.consent.IssueLinkGrant(request, metadata=metadata)


def test_a_pull_grant_converts_exactly_its_subject_for_exactly_its_presenter(
    world: ConsentStack,
) -> None:
    stack = world.stack
    agent = stack.token("agent-1", ["kcc"], ["agent"])
    metadata = [("authorization", f"Bearer {agent}")]
    world.consent.GrantConsent(grant_request(world.subject(BSN)), metadata=metadata)
    subject = world.subject(BSN)
    issued = _grant(world, subject, metadata)
    converted = PseudonymClient(stack.channel, agent).convert(
        subject, "burgerzaken", issued.link_grant
    )
    tag = tags.parse(converted)
    assert (tag.kind, tag.audience, tag.requester) == (Kind.ENCRYPTED, "burgerzaken", "kcc")
    assert tag.grant_id == issued.grant_id

    other_subject = _grant(world, world.subject(BSN), metadata)
    with pytest.raises(PermissionDenied) as wrong_subject:
        PseudonymClient(stack.channel, agent).convert(
            subject, "burgerzaken", other_subject.link_grant
        )
    assert wrong_subject.value.reason == "LINK_GRANT_WRONG_SUBJECT"
    colleague = stack.token("agent-2", ["kcc"], ["agent"])
    someone_elses = _grant(world, subject, metadata)
    with pytest.raises(PermissionDenied) as wrong_presenter:
        PseudonymClient(stack.channel, colleague).convert(
            subject, "burgerzaken", someone_elses.link_grant
        )
    assert wrong_presenter.value.reason == "LINK_GRANT_WRONG_PRESENTER"


def test_a_push_grant_takes_a_refreshed_reference_and_a_push_rule_cannot_be_pulled(
    world: ConsentStack,
) -> None:
    stack = world.stack
    kcc = PseudonymClient(stack.channel, stack.token("contacts-service", ["kcc"], ["service"]))
    stored = kcc.claim(world.subject(BSN), "kcc").reference
    fresh = kcc.convert(stored, "kcc")
    assert tags.parse(fresh).kind is Kind.REFERENCE and fresh != stored
    surveys = stack.token("surveys-service", ["onderzoek"], ["service"])
    metadata = [("authorization", f"Bearer {surveys}")]
    push = {"purpose": "satisfaction-survey", "requester_domain": "onderzoek"}
    issued = _grant(world, fresh, metadata, target_domain="kcc", **push)
    pushed = PseudonymClient(stack.channel, surveys).convert(fresh, "onderzoek", issued.link_grant)
    assert tags.parse(pushed).audience == "onderzoek"
    own = PseudonymClient(stack.channel, surveys).claim(
        world.subject(BSN, "onderzoek"), "onderzoek"
    )
    with pytest.raises(grpc.RpcError) as pull:
        _grant(world, own.reference, metadata, target_domain="kcc", **push)
    assert pull.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error_reason(pull.value) == "NO_RULE"


def test_a_refreshed_stored_reference_opens_a_link_by_consent(world: ConsentStack) -> None:
    stack = world.stack
    agent = world.auth("agent-1", ["kcc"], ["agent"])
    world.consent.GrantConsent(
        grant_request(world.subject(BSN), "complaint-callback"), metadata=agent
    )
    token = stack.token("complaints-service", ["klachten"], ["service"])
    klachten = PseudonymClient(stack.channel, token)
    stored = klachten.claim(world.subject(BSN, "klachten"), "klachten").reference
    metadata = [("authorization", f"Bearer {token}")]
    callback = {"purpose": "complaint-callback", "requester_domain": "klachten"}
    fresh = klachten.convert(stored, "klachten")
    issued = _grant(world, fresh, metadata, target_domain="kcc", **callback)
    assert issued.basis.kind == pb.BASIS_KIND_CONSENT
    converted = klachten.convert(fresh, "kcc", issued.link_grant)
    assert tags.parse(converted).audience == "kcc"
    with pytest.raises(grpc.RpcError) as without:
        other = klachten.claim(world.subject("123456782", "klachten"), "klachten").reference
        _grant(
            world, klachten.convert(other, "klachten"), metadata, target_domain="kcc", **callback
        )
    assert error_reason(without.value) == "NO_CONSENT"


def test_a_subject_of_a_third_domain_or_another_subject_domain_is_refused(
    world: ConsentStack,
) -> None:
    metadata = world.auth("agent-1", ["kcc"], ["agent"])
    for subject, extra, reason in (
        (world.subject(BSN, "belastingen"), {}, "WRONG_AUDIENCE"),
        (world.subject(BSN), {"subject_domain": "burgerzaken"}, "INVALID_FIELD"),
    ):
        request = pb.CheckConsentRequest(
            subject=subject,
            purpose=HISTORY,
            requester_domain="kcc",
            target_domain="burgerzaken",
            **extra,
        )
        with pytest.raises(grpc.RpcError) as refused:
            world.consent.CheckConsent(request, metadata=metadata)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(refused.value) == reason


def test_every_consent_record_names_the_citizen_for_the_privacy_officer(
    world: ConsentStack,
) -> None:
    stack = world.stack
    metadata = world.auth("agent-1", ["kcc"], ["agent"])
    consent = world.consent.GrantConsent(grant_request(world.subject(BSN)), metadata=metadata)
    _grant(world, world.subject(BSN), metadata)
    world.consent.GetConsent(pb.GetConsentRequest(name=consent.name), metadata=metadata)
    world.consent.WithdrawConsent(
        pb.WithdrawConsentRequest(name=consent.name, reason=pb.WITHDRAWAL_REASON_CITIZEN_REQUEST),
        metadata=metadata,
    )
    world.consent.GrantConsent(grant_request(world.subject("123456782")), metadata=metadata)
    request = audit_pb2.ListProcessingRequest(
        filter=audit_pb2.ProcessingFilter(subjects_tagged=officer_subjects(stack, BSN)),
        page_size=100,
        query_purpose=audit_pb2.QUERY_PURPOSE_SUBJECT_ACCESS,
    )
    officer = (("authorization", f"Bearer {officer_token(stack)}"),)
    found = audit_pb2_grpc.ProcessingLogServiceStub(stack.channel).ListProcessing(
        request, metadata=officer
    )
    names = [r.record.name for r in found.records if r.reporter == "consent-service"]
    assert names == ["consent.grant", "link-grant.issue", "consent.read", "consent.withdraw"]
    assert len({bytes(r.subject) for r in found.records if r.reporter == "consent-service"}) == 1
