"""The fan-out's grant and conversion through the real consent and pseudonym services."""

from __future__ import annotations

from stadskamer.gateway.history.adapters.peers import GrpcPeers, PeerChannels
from stadskamer.gateway.history.domain import BasisKind
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind
from tests.e2e.history.support import BSN, PURPOSE, Citizen
from tests.support.stack import Stack


def _peers(stack: Stack, token: str) -> GrpcPeers:
    channel = stack.channel
    return GrpcPeers(PeerChannels(channel, channel, channel, channel), token)


def test_the_same_subject_is_granted_and_converted_for_each_domain_by_its_caller(
    stack: Stack,
) -> None:
    citizen = Citizen(stack, BSN)
    citizen.grant()
    peers = _peers(stack, stack.token("kcc-agent", ["kcc"], ["agent"]))
    subject = citizen.subject("kcc")
    for domain in ("burgerzaken", "sociale-zaken"):
        grant = peers.issue_link_grant(subject, PURPOSE, "kcc", domain)
        assert grant is not None and grant.basis.kind is BasisKind.CONSENT
        converted = tags.parse(peers.convert(subject, domain, grant.token))
        assert (converted.kind, converted.audience, converted.requester) == (
            Kind.ENCRYPTED,
            domain,
            "kcc",
        )


def test_a_denied_link_is_no_grant_and_no_error(stack: Stack) -> None:
    citizen = Citizen(stack, BSN)
    peers = _peers(stack, stack.token("kcc-agent", ["kcc"], ["agent"]))
    assert peers.issue_link_grant(citizen.subject("kcc"), PURPOSE, "kcc", "burgerzaken") is None
