"""The whole policy matrix through real servers: requester × target × purpose × consent state.

One stack serves the module. Four citizens hold, for every consent purpose of the matrix, no
consent, an active one, an expired one (the consent clock is moved past its expiry) and a
withdrawn one. Every cell is asked through CheckConsent and IssueLinkGrant with a freshly
issued pseudonym of the requester's domain (a pull), and the answer must match the table of
the issue's policy; a grant is bound to that pseudonym's tag and to the asking agent.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.common import link_grants
from stadskamer.pep import tags
from tests.e2e.consent.support import ConsentStack, consent_stack_at, error_reason, grant_request
from tests.unit.consent.fakes import FakeClock

HISTORY = "integrated-contact-history"
RESEARCH = "research-panel"
HANDLING = "complaint-handling"
REQUESTERS = ["kcc", "burgerzaken", "klachten", "onderzoek"]
TARGETS = ["kcc", "burgerzaken", "sociale-zaken", "belastingen", "klachten"]
PURPOSES = [HISTORY, RESEARCH, HANDLING]
PEOPLE = {
    "none": "111222333",
    "active": "123456782",
    "expired": "012345672",
    "withdrawn": "353454709",
}

# The issue's policy, written out: what each (requester, target, purpose) needs.
NEVER = {("burgerzaken", "sociale-zaken")}
WITH_CONSENT = {
    ("kcc", "burgerzaken", HISTORY),
    ("kcc", "sociale-zaken", HISTORY),
    ("kcc", "belastingen", HISTORY),
    ("kcc", "klachten", HISTORY),
    ("onderzoek", "kcc", RESEARCH),
}
# Case-bound: a pull names no case over this contract, so the rule's trigger is missing.
CASE_BOUND = {("klachten", "kcc", HANDLING)}
BY_STATE = {
    "none": pb.DENIAL_REASON_NO_CONSENT,
    "expired": pb.DENIAL_REASON_CONSENT_EXPIRED,
    "withdrawn": pb.DENIAL_REASON_CONSENT_WITHDRAWN,
}


def expected(requester: str, target: str, purpose: str, state: str) -> tuple[int, int]:
    """The (basis kind, denial reason) the policy table prescribes."""
    if (requester, target) in NEVER:
        return pb.BASIS_KIND_UNSPECIFIED, pb.DENIAL_REASON_NEVER
    if requester == target:
        return pb.BASIS_KIND_OWN_DOMAIN, pb.DENIAL_REASON_UNSPECIFIED
    if (requester, target, purpose) in CASE_BOUND:
        return pb.BASIS_KIND_UNSPECIFIED, pb.DENIAL_REASON_TRIGGER_MISSING
    if (requester, target, purpose) in WITH_CONSENT:
        if state == "active":
            return pb.BASIS_KIND_CONSENT, pb.DENIAL_REASON_UNSPECIFIED
        return pb.BASIS_KIND_UNSPECIFIED, BY_STATE[state]
    return pb.BASIS_KIND_UNSPECIFIED, pb.DENIAL_REASON_NO_RULE


@dataclass
class World:
    """The stack and the consent service's clock."""

    stack: ConsentStack
    clock: FakeClock


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The stack with every citizen's consents in their state."""
    with pytest.MonkeyPatch.context() as patch:
        data_dir: Path = tmp_path_factory.mktemp("matrix") / "var"
        with consent_stack_at(data_dir, patch) as (stack, clock):
            _give_consents(stack, clock)
            yield World(stack, clock)


def _give_consents(world: ConsentStack, clock: FakeClock) -> None:
    agent = world.auth("agent-1", ["kcc"], ["agent"])
    expiry = Timestamp()
    expiry.FromDatetime(clock() + timedelta(hours=1))
    for state, purpose in itertools.product(
        ["active", "expired", "withdrawn"], [HISTORY, RESEARCH]
    ):
        request = grant_request(world.subject(PEOPLE[state]), purpose)
        if state == "expired":
            request.expire_time.CopyFrom(expiry)
        consent = world.consent.GrantConsent(request, metadata=agent)
        if state == "withdrawn":
            withdrawal = pb.WithdrawConsentRequest(
                name=consent.name, reason=pb.WITHDRAWAL_REASON_CITIZEN_REQUEST
            )
            world.consent.WithdrawConsent(withdrawal, metadata=agent)
    clock.advance(timedelta(hours=2))


CELLS = list(itertools.product(REQUESTERS, TARGETS, PURPOSES, PEOPLE))


@pytest.mark.parametrize(("requester", "target", "purpose", "state"), CELLS)
def test_every_cell_of_the_policy_matrix(
    world: World, requester: str, target: str, purpose: str, state: str
) -> None:
    kind, denial = expected(requester, target, purpose, state)
    stack = world.stack
    metadata = stack.auth(f"agent-{requester}", [requester], ["agent"])
    subject = stack.subject(PEOPLE[state], requester)
    query = {
        "subject": subject,
        "purpose": purpose,
        "requester_domain": requester,
        "target_domain": target,
    }
    check = stack.consent.CheckConsent(pb.CheckConsentRequest(**query), metadata=metadata)
    assert (check.allowed, check.basis.kind, check.denial_reason) == (
        denial == pb.DENIAL_REASON_UNSPECIFIED,
        kind,
        denial,
    )
    assert check.basis.consent.startswith("consents/") == (kind == pb.BASIS_KIND_CONSENT)
    request = pb.IssueLinkGrantRequest(**query)
    if not check.allowed:
        with pytest.raises(grpc.RpcError) as refused:
            stack.consent.IssueLinkGrant(request, metadata=metadata)
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert error_reason(refused.value) == pb.DenialReason.Name(denial).removeprefix(
            "DENIAL_REASON_"
        )
        return
    issued = stack.consent.IssueLinkGrant(request, metadata=metadata)
    grant = link_grants.verify(issued.link_grant, stack.consent_key(), world.clock())
    assert grant.is_for(tags.parse(subject).use_key()) and grant.grant_id == issued.grant_id
    assert grant.presenter == f"agent-{requester}"
    assert (grant.requester_domain, grant.target_domain, grant.purpose) == (
        requester,
        target,
        purpose,
    )
    assert grant.basis == (check.basis.consent or check.basis.policy_rule or "own-domain")
