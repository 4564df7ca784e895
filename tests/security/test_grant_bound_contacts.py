"""Attack (issue 14): "A grant for citizen A opened citizen B", "the same grant also worked twice".

A KCC agent holds a link grant to read citizen A's sociale-zaken contacts (requester kcc,
target sociale-zaken, presenter the agent) and the pseudonym the pseudonym service converted
under it. As the attacker, the agent (and a colleague, and anyone who can have B issued)
tries to read citizen B's sociale-zaken contacts with A's grant: with a pseudonym issued for
B into sociale-zaken, with one converted for B under an earlier grant (B consented then), with
a rerandomized copy of such a pseudonym, with A's grant presented by another agent, and with
A's grant a second time. Every attempt must be refused and return nothing; the one permitted
read returns A's contacts only, and its processing record names the grant and its basis.

Real servers on port 0 (the embedded stack), real tokens, only public gRPC contracts. The
link grants stand in for ConsentService.IssueLinkGrant as MIGRATION.md specifies them (bound
to the tag's use key, naming the presenter), signed with the stack's consent key: the consent
service is moved to tagged subjects in parallel; once it is, ask it for them instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pytest

from stadskamer import pep
from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.client import PseudonymClient
from stadskamer.common import link_grants
from stadskamer.common.keys import KeyLayout, read_ed25519_private_key
from stadskamer.common.link_grants import LinkGrant
from stadskamer.pep import tags
from tests.e2e.contacts.conftest import Caller, caller
from tests.support.audit import audit_records
from tests.support.citizens import Citizens
from tests.support.stack import Stack

CITIZEN_A = "111222333"
CITIZEN_B = "123456782"
TARGET = "sociale-zaken"
PURPOSE = "integrated-contact-history"


def consent_grant(stack: Stack, subject: bytes, presenter: str) -> tuple[str, LinkGrant]:
    """A link grant for ``subject`` (a kcc pseudonym) into sociale-zaken, as consent signs it."""
    key = read_ed25519_private_key(KeyLayout.under(stack.data_dir).consent_private_key)
    grant = LinkGrant.create(
        tags.parse(subject).use_key(),
        "kcc",
        TARGET,
        PURPOSE,
        f"consents/{uuid.uuid4()}",
        datetime.now(UTC),
        presenter=presenter,
    )
    return link_grants.issue(grant, key), grant


def read(agent: Caller, subject: bytes, grant: str) -> list[pb.Contact]:
    """ListContacts of sociale-zaken for ``subject`` under ``grant``."""
    request = pb.ListContactsRequest(domain=TARGET, encrypted_subject=subject, link_grant=grant)
    return list(agent.stub.ListContacts(request, metadata=agent.metadata, timeout=10).contacts)


def refused(agent: Caller, subject: bytes, grant: str) -> grpc.StatusCode:
    """The status of a read that must fail."""
    with pytest.raises(grpc.RpcError) as caught:
        read(agent, subject, grant)
    return caught.value.code()  # type: ignore[no-any-return]


def rerandomized(tagged: bytes) -> bytes:
    """The same tagged pseudonym with its ciphertext rerandomized (the tag left as it was)."""
    parsed = tags.parse(tagged)
    fresh = pep.rerandomize(parsed.parsed_ciphertext()).to_bytes()
    return tagged[:2] + fresh + tagged[2 + len(fresh) :]


@dataclass
class World:
    """Contacts of A (two) and B (one) in sociale-zaken, a KCC agent with A's grant and the
    pseudonym converted under it, a colleague, and B's pseudonyms an attacker could hold."""

    agent: Caller
    colleague: Caller
    a_contacts: list[str]  # the names of A's contacts
    grant: str
    granted: LinkGrant
    a_granted: bytes
    b_issued: bytes
    b_earlier: bytes


@pytest.fixture
def world(stack: Stack) -> World:
    citizens = Citizens(stack.channel, stack.issuer)
    social = caller(stack, [TARGET], ["system"], "sociale-zaken-system")
    names = [
        social.register(
            request_id=f"sz-{n}",
            domain=TARGET,
            subject=citizens.subject(bsn, TARGET),
            topic="uitkering",
            org_unit="werk-en-inkomen",
        ).contact.name
        for n, bsn in enumerate([CITIZEN_A, CITIZEN_A, CITIZEN_B])
    ]
    agent = caller(stack, ["kcc"], ["agent"], "kcc-agent-1")
    colleague = caller(stack, ["kcc"], ["agent"], "kcc-agent-2")
    convert = PseudonymClient(stack.channel, agent.token).convert
    b_kcc = citizens.subject(CITIZEN_B, "kcc")
    earlier, _ = consent_grant(stack, b_kcc, "kcc-agent-1")
    b_earlier = convert(b_kcc, TARGET, earlier)  # from a time B had consented
    b_issued = citizens.subject(CITIZEN_B, TARGET)  # B issued into sociale-zaken by someone
    a_kcc = citizens.subject(CITIZEN_A, "kcc")
    grant, granted = consent_grant(stack, a_kcc, "kcc-agent-1")
    a_granted = convert(a_kcc, TARGET, grant)
    a_contacts = sorted(names[:2])
    return World(agent, colleague, a_contacts, grant, granted, a_granted, b_issued, b_earlier)


def test_a_grant_for_citizen_a_does_not_open_citizen_b(world: World) -> None:
    agent, grant = world.agent, world.grant
    assert refused(agent, world.b_issued, grant) == grpc.StatusCode.PERMISSION_DENIED
    assert refused(agent, world.b_earlier, grant) == grpc.StatusCode.PERMISSION_DENIED
    assert refused(agent, rerandomized(world.b_earlier), grant) == grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(c.name for c in read(agent, world.a_granted, grant)) == world.a_contacts


def test_the_same_grant_does_not_work_twice(world: World) -> None:
    assert len(read(world.agent, world.a_granted, world.grant)) == 2
    assert refused(world.agent, world.a_granted, world.grant) == grpc.StatusCode.PERMISSION_DENIED


def test_a_grant_presented_by_another_token_subject_is_refused(world: World) -> None:
    code = refused(world.colleague, world.a_granted, world.grant)
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_the_record_of_a_read_under_a_grant_names_the_grant_and_its_basis(
    stack: Stack, world: World
) -> None:
    refused(world.agent, world.b_issued, world.grant)
    read(world.agent, world.a_granted, world.grant)
    [record] = audit_records(stack.data_dir, "contacts.read")
    assert record["reference"] == f"link-grants/{world.granted.grant_id}"
    assert (record["basis"], record["purpose"]) == (world.granted.basis, PURPOSE)
    assert (record["actor"], record["requester_domain"]) == ("kcc-agent-1", "kcc")
