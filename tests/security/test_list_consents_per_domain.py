"""An agent of one domain lists a citizen's consents that concern only other domains.

The attacker is a burgerzaken agent with a valid token who knows the citizen (a burgerzaken
pseudonym issued at the desk). The citizen gave the KCC a consent for ``complaint-callback``
(klachten and kcc only). ListConsents answers per the caller's domains: the agent sees none
of it, while a KCC agent and the privacy officer (oversight) do.
"""

from __future__ import annotations

from stadskamer.api.consent.v1 import consent_pb2 as pb
from tests.e2e.consent.support import ConsentStack, grant_request
from tests.support.stack import Stack

BSN = "111222333"


def test_an_agent_of_burgerzaken_does_not_see_a_consent_given_for_kcc(stack: Stack) -> None:
    world = ConsentStack(stack)
    kcc = world.auth("agent-kcc-1", ["kcc"], ["agent"])
    given = world.consent.GrantConsent(
        grant_request(world.subject(BSN), "complaint-callback"), metadata=kcc
    )

    def listing(domain: str) -> pb.ListConsentsRequest:
        return pb.ListConsentsRequest(subject=world.subject(BSN, domain))

    burgerzaken = world.auth("agent-bz-1", ["burgerzaken"], ["agent"])
    seen = world.consent.ListConsents(listing("burgerzaken"), metadata=burgerzaken).consents
    assert list(seen) == []

    seen_by_kcc = world.consent.ListConsents(listing("kcc"), metadata=kcc).consents
    assert [c.name for c in seen_by_kcc] == [given.name]
    officer = world.auth("privacy-1", ["burgerzaken"], ["privacy-officer"])
    seen_by_officer = world.consent.ListConsents(listing("burgerzaken"), metadata=officer)
    assert [c.name for c in seen_by_officer.consents] == [given.name]
