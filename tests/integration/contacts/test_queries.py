"""Reading the register over a real database: visibility, filters, pages, topic signals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial

import pytest

from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, session_factory
from stadskamer.common.errors import InvalidArgument, NotFound, PermissionDenied
from stadskamer.common.record_keeping import DirectRecords
from stadskamer.contacts.domain import Channel, Contact
from stadskamer.contacts.queries import ContactQueries, ListQuery
from stadskamer.contacts.signals import Bucket
from stadskamer.contacts.subjects import Subjects
from stadskamer.pep import tags
from tests.integration.contacts.conftest import CIPHER, NOW, POLICY, Register
from tests.integration.contacts.test_combined_registration import ListLog

WRITER = Principal("w", frozenset({"kcc", "burgerzaken", "sociale-zaken"}), frozenset({"system"}))
KCC_AGENT = Principal("k", frozenset({"kcc"}), frozenset({"agent"}))
BOTH = Principal("b", frozenset({"kcc", "burgerzaken"}), frozenset({"coordinator"}))


@pytest.fixture
def filled(register: Register) -> Register:
    draft = register.draft
    drafts = [
        draft(f"bz{i}", who="alice" if i % 2 else "bob", hours_ago=5 - i, domain="burgerzaken")
        for i in range(6)
    ]
    drafts += [
        draft(f"kcc{i}", who="alice", hours_ago=i + 0.5, domain="kcc", channel=Channel.PHONE)
        for i in range(4)
    ]
    drafts.append(draft("sz", who="alice", domain="sociale-zaken", topic="uitkering"))
    registered = register.service.register_batch(WRITER, drafts)
    register.request_ids.update((c.id, c.request_id) for c in registered)
    return register


def request_ids(filled: Register, contacts: Sequence[Contact]) -> list[str]:
    """The request_ids the contacts were registered with (read back, a contact has none)."""
    assert all(c.request_id == "" for c in contacts)
    return [filled.request_ids[c.id] for c in contacts]


def test_a_caller_sees_its_own_domains_only(filled: Register) -> None:
    queries = filled.queries
    page = queries.list(KCC_AGENT, ListQuery())
    assert {c.domain for c in page.contacts} == {"kcc"}
    assert len(page.contacts) == 4
    assert {c.domain for c in queries.list(BOTH, ListQuery()).contacts} == {"kcc", "burgerzaken"}
    with pytest.raises(PermissionDenied):
        queries.list(KCC_AGENT, ListQuery(domain="burgerzaken"))
    other = queries.list(BOTH, ListQuery(domain="burgerzaken")).contacts[0]
    with pytest.raises(NotFound):
        queries.get(KCC_AGENT, other.id)
    assert queries.get(BOTH, other.id).id == other.id


def test_filter_by_subject_claims_a_subject_of_the_domain(filled: Register) -> None:
    queries, person = filled.queries, filled.person
    page = queries.list(BOTH, ListQuery(subject=person("alice", "kcc")))
    assert sorted(request_ids(filled, page.contacts)) == ["kcc0", "kcc1", "kcc2", "kcc3"]
    assert filled.pseudonyms.calls[-1] == 1, "one claim"
    bob = person("bob", "burgerzaken")
    only_bz = queries.list(BOTH, ListQuery(subject=bob, domain="burgerzaken"))
    assert request_ids(filled, only_bz.contacts) == ["bz4", "bz2", "bz0"]
    with pytest.raises(PermissionDenied) as spent:
        queries.list(BOTH, ListQuery(subject=bob, domain="burgerzaken"))
    assert spent.value.reason == "TAG_SPENT"
    with pytest.raises(InvalidArgument) as caught:
        queries.list(BOTH, ListQuery(subject=b"\x00" * 96))
    assert caught.value.violations[0].field == "subject"
    with pytest.raises(InvalidArgument) as caught:
        queries.list(BOTH, ListQuery(subject=person("alice", "kcc"), domain="burgerzaken"))
    assert caught.value.reason == "WRONG_AUDIENCE"
    with pytest.raises(PermissionDenied):
        queries.list(KCC_AGENT, ListQuery(subject=person("alice", "burgerzaken")))


def test_pages_by_subject_take_a_fresh_subject_each(filled: Register) -> None:
    first = filled.queries.list(
        BOTH, ListQuery(domain="kcc", subject=filled.person("alice", "kcc"), page_size=3)
    )
    assert len(first.contacts) == 3
    after = ListQuery(
        domain="kcc",
        subject=filled.person("alice", "kcc"),
        page_size=3,
        page_token=first.next_page_token,
    )
    assert request_ids(filled, filled.queries.list(BOTH, after).contacts) == ["kcc3"]


def test_pages_cover_everything_once_and_tokens_are_bound(filled: Register) -> None:
    query = ListQuery(page_size=3)
    seen: list[str] = []
    while True:
        page = filled.queries.list(BOTH, query)
        seen += request_ids(filled, page.contacts)
        if not page.next_page_token:
            break
        query = ListQuery(page_size=3, page_token=page.next_page_token)
    assert len(seen) == len(set(seen)) == 10
    first = filled.queries.list(BOTH, ListQuery(page_size=3))
    with pytest.raises(InvalidArgument) as caught:
        filled.queries.list(BOTH, ListQuery(topic="afval", page_token=first.next_page_token))
    assert caught.value.violations[0].field == "page_token"


def test_filters_by_channel_topic_unit_and_time(filled: Register) -> None:
    queries = filled.queries
    assert len(queries.list(BOTH, ListQuery(channel=int(Channel.PHONE))).contacts) == 4
    assert queries.list(BOTH, ListQuery(topic="uitkering")).contacts == []
    assert len(queries.list(BOTH, ListQuery(org_unit="stadswinkel-centrum")).contacts) == 10
    recent = ListQuery(start=NOW - timedelta(hours=2), end=NOW)
    assert sorted(request_ids(filled, queries.list(BOTH, recent).contacts)) == [
        "bz3",
        "bz4",
        "kcc0",
        "kcc1",
    ]
    with pytest.raises(InvalidArgument):
        queries.list(BOTH, ListQuery(start=NOW, end=NOW - timedelta(hours=1)))


def test_topic_signals_of_a_domain(filled: Register) -> None:
    report = filled.queries.topic_signals(BOTH, "burgerzaken", None, None, Bucket.DAY)
    assert report.period.count == 28
    assert [t.topic for t in report.topics] == ["paspoort"]
    paspoort = report.topics[0]
    assert paspoort.total == 5, "the contact at the end of the period is outside it"
    assert paspoort.counts[-1] == 5
    assert paspoort.repeat_share == pytest.approx(3 / 5)
    assert paspoort.same_topic_repeat_share == pytest.approx(3 / 5)
    assert not paspoort.rising.rising
    with pytest.raises(PermissionDenied):
        filled.queries.topic_signals(KCC_AGENT, "burgerzaken", None, None, Bucket.DAY)
    with pytest.raises(InvalidArgument):
        filled.queries.topic_signals(BOTH, "onderzoek", None, None, Bucket.DAY)


def test_every_read_is_recorded_with_its_citizen_or_their_number(register: Register) -> None:
    log = ListLog()
    unit_of_work = partial(UnitOfWork, session_factory(register.engine))
    queries = ContactQueries(
        POLICY,
        Subjects(register.pseudonyms, register.keys),
        CIPHER,
        unit_of_work,
        lambda: NOW,
        records=DirectRecords(log),
    )
    draft = register.draft
    named = register.service.register(WRITER, draft("a", domain="kcc"))
    register.service.register(WRITER, draft("b", domain="kcc", who="bob"))
    anonymous = register.service.register(WRITER, draft("c", domain="kcc", who=""))
    queries.get(KCC_AGENT, named.id)
    queries.get(KCC_AGENT, anonymous.id)
    queries.list(KCC_AGENT, ListQuery())
    queries.list(KCC_AGENT, ListQuery(subject=register.person("alice", "kcc")))
    assert [(r.name, r.reference) for r in log.records] == [
        ("contacts.read", f"contacts/{named.id}"),
        ("contacts.read", f"contacts/{anonymous.id}"),
        ("contacts.read", "citizens=2"),
        ("contacts.read", "1"),
    ]
    subjects = [r.subject_tagged for r in log.records]
    audiences = [tags.parse(s).audience if s else "" for s in subjects]
    assert audiences == ["audit/kcc", "", "", "audit/kcc"]
