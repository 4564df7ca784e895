"""One citizen's complaints on SQLite and PostgreSQL: by pseudonym, under a link grant, recorded."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer import pep
from stadskamer.client import encrypt_pseudonym
from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.complaints.queries import ComplaintQueries, ListQuery
from stadskamer.complaints.subjects import SubjectFilter
from tests.integration.complaints.support import (
    AGENT,
    COORDINATOR,
    KEY,
    World,
    draft,
    klachten_pseudonym,
    polymorphic,
)

CITIZEN, OTHER = "111222333", "123456782"
KCC_AGENT = Principal("kcc-agent", frozenset({"kcc"}), frozenset({"agent"}))
SIGNER = Ed25519PrivateKey.generate()
PURPOSE = "integrated-contact-history"


def _file(world: World, request_id: str, bsn: str, days_ago: int = 0) -> str:
    received = world.clock() - timedelta(days=days_ago)
    filed = world.filing.file(AGENT, draft(request_id, bsn, received_at=received))
    return filed.complaint.case_number


def _records(world: World) -> list[dict[str, Any]]:
    if not world.log.path.exists():
        return []
    lines = world.log.path.read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["name"] == "complaints.list"]


def _grant(world: World, requester: str = "kcc", target: str = "klachten") -> str:
    grant = LinkGrant.create(
        polymorphic(CITIZEN), requester, target, PURPOSE, "consents/c-1", world.clock()
    )
    return link_grants.issue(grant, SIGNER)


def _linked(world: World, trusted: bool = True) -> ComplaintQueries:
    key = SIGNER.public_key() if trusted else None
    return ComplaintQueries(replace(world.deps, grant_key=key))


def _encrypted(bsn: str = CITIZEN) -> bytes:
    return encrypt_pseudonym(klachten_pseudonym(bsn), KEY)


def test_the_coordinator_lists_one_citizens_complaints_and_the_read_is_recorded(
    world: World,
) -> None:
    mine = [_file(world, "a", CITIZEN), _file(world, "b", CITIZEN, 3)]
    _file(world, "c", OTHER)
    wanted = SubjectFilter(polymorphic=polymorphic(CITIZEN))
    page = world.queries.list(COORDINATOR, ListQuery(subject=wanted))
    assert sorted(c.case_number for c in page.complaints) == sorted(mine)
    (record,) = _records(world)
    assert record["subject"] == klachten_pseudonym(CITIZEN).hex()
    assert (record["purpose"], record["requester_domain"], record["reference"]) == (
        "complaint-handling",
        "klachten",
        "2",
    )
    assert "Jan de Vries" not in world.log.path.read_text()


def test_a_start_time_keeps_the_open_complaints_of_before_it_on_request(world: World) -> None:
    recent = _file(world, "recent", CITIZEN, 10)
    old_open = _file(world, "old-open", CITIZEN, 200)
    old_withdrawn = _file(world, "old-withdrawn", CITIZEN, 150)
    world.lifecycle.withdraw(COORDINATOR, world.queries.get(COORDINATOR, "", old_withdrawn).name)
    since = world.clock() - timedelta(days=90)

    def cases(include_open: bool) -> set[str]:
        query = ListQuery(
            subject=SubjectFilter(encrypted=_encrypted()), start=since, include_open=include_open
        )
        return {c.case_number for c in world.queries.list(COORDINATOR, query).complaints}

    assert cases(False) == {recent}
    assert cases(True) == {recent, old_open}
    with pytest.raises(InvalidArgument) as raised:
        world.queries.list(COORDINATOR, ListQuery(include_open=True))
    assert raised.value.violations[0].field == "include_open"


def test_another_domain_reads_one_citizens_complaints_under_a_link_grant(world: World) -> None:
    mine = _file(world, "a", CITIZEN)
    _file(world, "b", OTHER)
    wanted = SubjectFilter(encrypted=_encrypted(), link_grant=_grant(world))
    page = _linked(world).list(KCC_AGENT, ListQuery(subject=wanted))
    assert [c.case_number for c in page.complaints] == [mine]
    assert all(c.description == "" for c in page.complaints)
    (record,) = _records(world)
    assert (record["purpose"], record["basis"], record["legal_basis"]) == (
        PURPOSE,
        "consents/c-1",
        "",
    )
    assert (record["requester_domain"], record["target_domain"]) == ("kcc", "klachten")
    assert record["subject"] == klachten_pseudonym(CITIZEN).hex()


@pytest.mark.parametrize(
    ("caller", "grant", "trusted", "reason"),
    [
        (KCC_AGENT, "kcc->klachten", False, "LINK_GRANT_NOT_TRUSTED"),
        (KCC_AGENT, "kcc->burgerzaken", True, "LINK_GRANT_WRONG_TARGET"),
        (KCC_AGENT, "belastingen->klachten", True, "LINK_GRANT_WRONG_REQUESTER"),
        (KCC_AGENT, "forged", True, "LINK_GRANT_SIGNATURE_INVALID"),
        (
            Principal("a", frozenset({"kcc"}), frozenset({"analyst"})),
            "kcc->klachten",
            True,
            "ROLE_MISSING",
        ),
    ],
)
def test_a_grant_that_does_not_fit_is_refused_and_nothing_is_recorded(
    world: World, caller: Principal, grant: str, trusted: bool, reason: str
) -> None:
    _file(world, "a", CITIZEN)
    if grant == "forged":
        claims = LinkGrant.create(b"x", "kcc", "klachten", PURPOSE, "r", world.clock())
        token = link_grants.issue(claims, Ed25519PrivateKey.generate())
    else:
        requester, target = grant.split("->")
        token = _grant(world, requester, target)
    wanted = SubjectFilter(encrypted=_encrypted(), link_grant=token)
    with pytest.raises(PermissionDenied) as raised:
        _linked(world, trusted).list(caller, ListQuery(subject=wanted))
    assert raised.value.reason == reason
    assert _records(world) == []


def test_an_expired_grant_and_a_foreign_pseudonym_are_refused(world: World) -> None:
    _file(world, "a", CITIZEN)
    token = _grant(world)
    queries = _linked(world)
    foreign = pep.encrypt(klachten_pseudonym(CITIZEN), pep.public_key(pep.random_scalar()))
    wanted = SubjectFilter(encrypted=foreign.to_bytes(), link_grant=token)
    with pytest.raises(InvalidArgument) as invalid:
        queries.list(KCC_AGENT, ListQuery(subject=wanted))
    assert invalid.value.violations[0].field == "encrypted_subject"
    with pytest.raises(InvalidArgument) as incomplete:
        queries.list(KCC_AGENT, ListQuery(subject=SubjectFilter(link_grant=token)))
    assert incomplete.value.reason == "LINK_GRANT_INCOMPLETE"
    world.clock.now = world.clock.now + timedelta(minutes=5)
    wanted = SubjectFilter(encrypted=_encrypted(), link_grant=token)
    with pytest.raises(PermissionDenied) as expired:
        queries.list(KCC_AGENT, ListQuery(subject=wanted))
    assert expired.value.reason == "LINK_GRANT_EXPIRED"
    assert _records(world) == []


def test_a_page_token_is_bound_to_the_citizen(world: World) -> None:
    for index in range(3):
        _file(world, f"p{index}", CITIZEN, index)
    first = world.queries.list(
        COORDINATOR, ListQuery(subject=SubjectFilter(encrypted=_encrypted()), page_size=2)
    )
    assert len(first.complaints) == 2 and first.next_page_token
    other = SubjectFilter(encrypted=_encrypted(OTHER))
    with pytest.raises(InvalidArgument) as raised:
        world.queries.list(COORDINATOR, ListQuery(subject=other, page_token=first.next_page_token))
    assert raised.value.violations[0].field == "page_token"
