"""A KCC insider reads citizen B's complaints with a link grant issued for citizen A, or twice.

The attacker is a KCC agent with a valid token, as the history fan-out acts for one. Citizen
A consented to the integrated contact history, so the consent service issues the agent a link
grant for A (target klachten) and the pseudonym service converts A's KCC pseudonym under it:
a tagged klachten pseudonym that names that grant. The attacker also holds a tagged klachten
pseudonym of citizen B: one a colluding klachten front end had issued, and one from a grant
B gave earlier. Presented to ListComplaints with A's grant, neither opens B's complaints; A's
own pseudonym opens A's complaints once, never a second time.
"""

from __future__ import annotations

import grpc
import pytest

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as cpb
from stadskamer.api.consent.v1 import consent_pb2 as consent_pb
from stadskamer.api.consent.v1 import consent_pb2_grpc
from stadskamer.client import PseudonymClient
from tests.e2e.complaints.support import Caller, reason, stack_caller
from tests.support.stack import Stack

CITIZEN_A, CITIZEN_B = "111222333", "123456782"
PURPOSE = "integrated-contact-history"
ATTACKER = "kcc-agent-7"


def _file(stack: Stack, bsn: str) -> str:
    """A klachten agent files a complaint of ``bsn``; its case number."""
    agent = stack_caller(stack, ["klachten"], ["agent"], f"klachten-agent-{bsn}")
    return str(agent.file(bsn, f"complaint-{bsn}").complaint.case_number)


def _kcc(stack: Stack) -> PseudonymClient:
    """The attacker's pseudonym client: a KCC agent whose front end has KCC subjects issued."""
    return PseudonymClient(stack.channel, stack.token(ATTACKER, ["kcc"], ["agent", "issuer"]))


def _consents(stack: Stack, bsn: str) -> None:
    """The citizen consents to the integrated contact history (recorded by a KCC agent)."""
    consent = consent_pb2_grpc.ConsentServiceStub(stack.channel)
    subject = _kcc(stack).issue_one(bsn, "kcc", "contact-registration")
    consent.GrantConsent(
        consent_pb.GrantConsentRequest(
            request_id=f"history-consent-{bsn}",
            subject=subject,
            purpose=PURPOSE,
            purpose_version=1,
            capture=consent_pb.Capture(
                channel=channel_pb2.CHANNEL_PHONE, method=consent_pb.CAPTURE_METHOD_AGENT
            ),
        ),
        metadata=[("authorization", f"Bearer {stack.token('agent-1', ['kcc'], ['agent'])}")],
        timeout=10,
    )


def _granted(stack: Stack, bsn: str) -> tuple[str, bytes]:
    """A link grant for ``bsn``'s KCC pseudonym (kcc → klachten) and the klachten pseudonym
    converted under it, as the attacker gets them through the public contracts."""
    kcc = _kcc(stack)
    subject = kcc.issue_one(bsn, "kcc", "contact-history")
    consent = consent_pb2_grpc.ConsentServiceStub(stack.channel)
    grant = consent.IssueLinkGrant(
        consent_pb.IssueLinkGrantRequest(
            subject=subject, purpose=PURPOSE, requester_domain="kcc", target_domain="klachten"
        ),
        metadata=[("authorization", f"Bearer {stack.token(ATTACKER, ['kcc'], ['agent'])}")],
        timeout=10,
    )
    return grant.link_grant, kcc.convert(subject, "klachten", grant.link_grant)


def _list(reader: Caller, grant: str, subject: bytes) -> list[str]:
    response = reader.stub.ListComplaints(
        cpb.ListComplaintsRequest(encrypted_subject=subject, link_grant=grant),
        metadata=reader.metadata,
        timeout=10,
    )
    return [c.case_number for c in response.complaints]


def test_a_grant_for_citizen_a_does_not_open_citizen_bs_complaints(stack: Stack) -> None:
    _file(stack, CITIZEN_A)
    case_b = _file(stack, CITIZEN_B)
    _consents(stack, CITIZEN_A)
    _consents(stack, CITIZEN_B)
    grant_a, _ = _granted(stack, CITIZEN_A)
    _, earlier_b = _granted(stack, CITIZEN_B)  # B's, from a grant B gave before
    colluder = PseudonymClient(
        stack.channel, stack.token("klachten-eform", ["klachten"], ["system", "issuer"])
    )
    issued_b = colluder.issue_one(CITIZEN_B, "klachten", "complaint-handling")
    reader = stack_caller(stack, ["kcc"], ["agent"], ATTACKER)
    for subject_b in (issued_b, earlier_b):
        with pytest.raises(grpc.RpcError) as refused:
            assert case_b not in _list(reader, grant_a, subject_b)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert reason(refused.value) == "LINK_GRANT_WRONG_SUBJECT"


def test_a_grant_opens_one_read_only(stack: Stack) -> None:
    case_a = _file(stack, CITIZEN_A)
    _consents(stack, CITIZEN_A)
    grant_a, subject_a = _granted(stack, CITIZEN_A)
    reader = stack_caller(stack, ["kcc"], ["agent"], ATTACKER)
    assert _list(reader, grant_a, subject_a) == [case_a]
    with pytest.raises(grpc.RpcError) as again:
        _list(reader, grant_a, subject_a)
    assert again.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason(again.value) in {"TAG_SPENT", "LINK_GRANT_REPLAYED"}
