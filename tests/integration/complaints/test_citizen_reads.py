"""One citizen's complaints on SQLite and PostgreSQL: by pseudonym, under a link grant, recorded."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from stadskamer import pep
from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.complaints.adapters.orm import spent_grants
from stadskamer.complaints.adapters.repository import ComplaintRepository
from stadskamer.complaints.queries import ComplaintQueries, ListQuery
from stadskamer.complaints.subjects import SubjectFilter
from tests.integration.complaints.support import AGENT, COORDINATOR, World

CITIZEN, OTHER = "111222333", "123456782"
KCC_AGENT = Principal("kcc-agent", frozenset({"kcc"}), frozenset({"agent"}))
PURPOSE = "integrated-contact-history"


class RecordingLog:
    """A processing log in memory."""

    def __init__(self) -> None:
        self.records: list[ProcessingRecord] = []

    def append(self, record: ProcessingRecord) -> None:
        """Keep it."""
        self.records.append(record)


def _file(world: World, request_id: str, bsn: str, days_ago: int = 0) -> str:
    received = world.clock() - timedelta(days=days_ago)
    filed = world.filing.file(AGENT, world.draft(request_id, bsn, received_at=received))
    return filed.complaint.case_number


def _records(world: World) -> list[dict[str, Any]]:
    if not world.log.path.exists():
        return []
    lines = world.log.path.read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["name"] == "complaints.list"]


def _linked(world: World, trusted: bool = True, log: object | None = None) -> ComplaintQueries:
    key = world.pseudonyms.parts.consent_key.public_key() if trusted else None
    deps = replace(world.deps, grant_key=key)
    return ComplaintQueries(replace(deps, processing_log=log) if log else deps)


def _granted(
    world: World, bsn: str = CITIZEN, presenter: Principal = KCC_AGENT
) -> tuple[LinkGrant, str, bytes]:
    """A grant for a KCC pseudonym of ``bsn`` and the klachten pseudonym converted under it
    (the complaints service's clock is set to now: grants are issued at the real time)."""
    world.clock.now = datetime.now(UTC)
    own = world.pseudonyms.issue(bsn, "kcc")
    grant, token = world.pseudonyms.grant(own, "kcc", "klachten", PURPOSE, presenter.subject)
    converted = world.pseudonyms.as_caller(presenter).convert(own, "klachten", token)
    return grant, token, converted


def _sign(world: World, grant: LinkGrant, **changes: object) -> str:
    return link_grants.issue(replace(grant, **changes), world.pseudonyms.parts.consent_key)  # type: ignore[arg-type]


def test_the_coordinator_lists_one_citizens_complaints_and_the_read_is_recorded(
    world: World,
) -> None:
    mine = [_file(world, "a", CITIZEN), _file(world, "b", CITIZEN, 3)]
    _file(world, "c", OTHER)
    log = RecordingLog()
    queries = ComplaintQueries(replace(world.deps, processing_log=log))
    page = queries.list(COORDINATOR, ListQuery(subject=SubjectFilter(world.subject(CITIZEN))))
    assert sorted(c.case_number for c in page.complaints) == sorted(mine)
    (record,) = log.records
    assert (record.purpose, record.requester_domain, record.reference) == (
        "complaint-handling",
        "klachten",
        "2",
    )
    assert record.subject == "" and record.subject_tagged
    assert world.pseudonyms.pseudonym(record.subject_tagged) != world.pseudonym(CITIZEN)


def test_a_list_without_a_citizen_is_recorded_once_with_the_number_of_citizens(
    world: World,
) -> None:
    _file(world, "a", CITIZEN)
    _file(world, "b", CITIZEN, 3)
    _file(world, "c", OTHER)
    log = RecordingLog()
    queries = ComplaintQueries(replace(world.deps, processing_log=log))
    assert len(queries.list(COORDINATOR, ListQuery()).complaints) == 3
    (record,) = log.records
    assert (record.name, record.reference, record.actor) == (
        "complaints.list",
        "citizens=2",
        COORDINATOR.subject,
    )
    assert record.subject == "" and not record.subject_tagged


def test_a_subject_is_claimed_once_and_a_pseudonym_of_another_domain_is_refused(
    world: World,
) -> None:
    _file(world, "a", CITIZEN)
    subject = world.subject(CITIZEN)
    world.queries.list(COORDINATOR, ListQuery(subject=SubjectFilter(subject)))
    with pytest.raises(PermissionDenied) as spent:
        world.queries.list(COORDINATOR, ListQuery(subject=SubjectFilter(subject)))
    assert spent.value.reason == "TAG_SPENT"
    foreign = world.pseudonyms.issue(CITIZEN, "kcc")
    with pytest.raises(InvalidArgument) as refused:
        world.queries.list(COORDINATOR, ListQuery(subject=SubjectFilter(foreign)))
    assert (refused.value.violations[0].field, refused.value.reason) == (
        "subject",
        "WRONG_AUDIENCE",
    )


def test_a_start_time_keeps_the_open_complaints_of_before_it_on_request(world: World) -> None:
    recent = _file(world, "recent", CITIZEN, 10)
    old_open = _file(world, "old-open", CITIZEN, 200)
    old_withdrawn = _file(world, "old-withdrawn", CITIZEN, 150)
    world.lifecycle.withdraw(COORDINATOR, world.queries.get(COORDINATOR, "", old_withdrawn).name)
    since = world.clock() - timedelta(days=90)

    def cases(include_open: bool) -> set[str]:
        query = ListQuery(
            subject=SubjectFilter(world.subject(CITIZEN)), start=since, include_open=include_open
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
    grant, token, converted = _granted(world)
    log = RecordingLog()
    wanted = SubjectFilter(encrypted=converted, link_grant=token)
    page = _linked(world, log=log).list(KCC_AGENT, ListQuery(subject=wanted))
    assert [c.case_number for c in page.complaints] == [mine]
    assert all(c.description == "" for c in page.complaints)
    (record,) = log.records
    assert (record.purpose, record.basis, record.legal_basis, record.reference) == (
        PURPOSE,
        "consents/test",
        "",
        f"link-grants/{grant.grant_id}",
    )
    assert (record.requester_domain, record.target_domain, record.actor) == (
        "kcc",
        "klachten",
        "kcc-agent",
    )
    assert record.subject_tagged and record.subject == ""


def test_a_grant_reads_once(world: World) -> None:
    _file(world, "a", CITIZEN)
    _, token, converted = _granted(world)
    wanted = SubjectFilter(encrypted=converted, link_grant=token)
    queries = _linked(world)
    queries.list(KCC_AGENT, ListQuery(subject=wanted))
    with pytest.raises(PermissionDenied) as again:
        queries.list(KCC_AGENT, ListQuery(subject=wanted))
    assert again.value.reason == "TAG_SPENT"
    assert len(_records(world)) == 1


def test_the_local_spent_grant_set_refuses_a_second_use_and_forgets_expired_grants(
    world: World,
) -> None:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with world.deps.unit_of_work() as uow:
        repository = ComplaintRepository(uow.session)
        assert repository.spend_grant("a" * 32, now + timedelta(seconds=30), now)
        assert not repository.spend_grant("a" * 32, now + timedelta(seconds=30), now)
        uow.commit()
    later = now + timedelta(minutes=1)
    with world.deps.unit_of_work() as uow:
        assert ComplaintRepository(uow.session).spend_grant("b" * 32, later, later)
        uow.commit()
    with world.engine.connect() as connection:
        kept = connection.execute(select(spent_grants.c.grant_id)).scalars().all()
        assert kept == ["b" * 32]
        assert connection.execute(select(func.count()).select_from(spent_grants)).scalar() == 1


@pytest.mark.parametrize(
    "misfit",
    [
        "untrusted",
        "other-target",
        "other-requester",
        "forged",
        "analyst",
        "other-presenter",
        "other-grant",
        "no-grant-pseudonym",
    ],
)
def test_a_grant_that_does_not_fit_is_refused_and_nothing_is_claimed_or_recorded(
    world: World, misfit: str
) -> None:
    _file(world, "a", CITIZEN)
    grant, token, converted = _granted(world)
    caller, trusted, reason = KCC_AGENT, True, ""
    if misfit == "untrusted":
        trusted, reason = False, "LINK_GRANT_NOT_TRUSTED"
    elif misfit == "other-target":
        token, reason = _sign(world, grant, target_domain="burgerzaken"), "LINK_GRANT_WRONG_TARGET"
    elif misfit == "other-requester":
        token = _sign(world, grant, requester_domain="belastingen")
        reason = "LINK_GRANT_WRONG_REQUESTER"
    elif misfit == "forged":
        token = link_grants.issue(grant, Ed25519PrivateKey.generate())
        reason = "LINK_GRANT_SIGNATURE_INVALID"
    elif misfit == "analyst":
        caller = Principal("kcc-agent", frozenset({"kcc"}), frozenset({"analyst"}))
        reason = "ROLE_MISSING"
    elif misfit == "other-presenter":
        caller = Principal("kcc-agent-2", frozenset({"kcc"}), frozenset({"agent"}))
        reason = "LINK_GRANT_WRONG_PRESENTER"
    elif misfit == "other-grant":
        _, token, _ = _granted(world, OTHER)
        reason = "LINK_GRANT_WRONG_SUBJECT"
    else:
        converted, reason = world.subject(CITIZEN), "LINK_GRANT_WRONG_SUBJECT"
    calls = world.pseudonyms.calls
    wanted = SubjectFilter(encrypted=converted, link_grant=token)
    with pytest.raises(PermissionDenied) as raised:
        _linked(world, trusted).list(caller, ListQuery(subject=wanted))
    assert raised.value.reason == reason
    assert world.pseudonyms.calls == calls
    assert _records(world) == []


def test_an_expired_grant_a_foreign_pseudonym_and_a_missing_one_are_refused(world: World) -> None:
    _file(world, "a", CITIZEN)
    _, token, converted = _granted(world)
    queries = _linked(world)
    foreign = pep.encrypt(world.pseudonym(CITIZEN), world.key.public_key)
    wanted = SubjectFilter(encrypted=foreign.to_bytes(), link_grant=token)
    with pytest.raises(InvalidArgument) as invalid:
        queries.list(KCC_AGENT, ListQuery(subject=wanted))
    assert invalid.value.violations[0].field == "encrypted_subject"
    with pytest.raises(InvalidArgument) as incomplete:
        queries.list(KCC_AGENT, ListQuery(subject=SubjectFilter(link_grant=token)))
    assert incomplete.value.reason == "LINK_GRANT_INCOMPLETE"
    with pytest.raises(InvalidArgument) as without:
        queries.list(COORDINATOR, ListQuery(subject=SubjectFilter(encrypted=converted)))
    assert without.value.violations[0].field == "encrypted_subject"
    world.clock.now = datetime.now(UTC) + timedelta(minutes=5)
    wanted = SubjectFilter(encrypted=converted, link_grant=token)
    with pytest.raises(PermissionDenied) as expired:
        queries.list(KCC_AGENT, ListQuery(subject=wanted))
    assert expired.value.reason == "LINK_GRANT_EXPIRED"
    assert _records(world) == []


def test_a_page_token_is_bound_to_the_citizen(world: World) -> None:
    for index in range(3):
        _file(world, f"p{index}", CITIZEN, index)
    first = world.queries.list(
        COORDINATOR, ListQuery(subject=SubjectFilter(world.subject(CITIZEN)), page_size=2)
    )
    assert len(first.complaints) == 2 and first.next_page_token
    same = SubjectFilter(world.subject(CITIZEN))
    rest = world.queries.list(
        COORDINATOR, ListQuery(subject=same, page_size=2, page_token=first.next_page_token)
    )
    assert len(rest.complaints) == 1
    other = SubjectFilter(world.subject(OTHER))
    with pytest.raises(InvalidArgument) as raised:
        world.queries.list(COORDINATOR, ListQuery(subject=other, page_token=first.next_page_token))
    assert raised.value.violations[0].field == "page_token"
