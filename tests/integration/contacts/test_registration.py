"""Registering contacts over a real database: repeats, idempotency, concurrency, faults."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied, Unavailable
from stadskamer.contacts.adapters.orm import contacts
from stadskamer.contacts.domain import Channel, Contact
from tests.integration.contacts.conftest import NOW, SUMMARY, Register
from tests.support.databases import dump_database_text

AGENT = Principal("agent-1", frozenset({"kcc", "burgerzaken"}), frozenset({"agent"}))


def rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(contacts)).scalar_one())


def test_repeats_link_within_a_domain_only(register: Register) -> None:
    service, draft = register.service, register.draft
    first = service.register(AGENT, draft("a", hours_ago=48))
    second = service.register(AGENT, draft("b", hours_ago=1, topic="rijbewijs"))
    by_phone = service.register(AGENT, draft("c", domain="kcc", channel=Channel.PHONE))
    assert not first.repeat.is_repeat
    assert second.repeat.is_repeat
    assert second.repeat.previous_contacts == 1
    assert not second.repeat.same_topic
    assert second.repeat.channels == (Channel.COUNTER,)
    assert second.repeat.last_contact_at == NOW - timedelta(hours=48)
    assert second.repeat.window_days == 14
    assert not by_phone.repeat.is_repeat
    assert by_phone.repeat.window_days == 7
    anonymous = service.register(AGENT, draft("d", who=""))
    assert anonymous.subject is None
    assert not anonymous.repeat.is_repeat


def test_a_retry_returns_the_first_result_and_writes_nothing(register: Register) -> None:
    service, draft = register.service, register.draft
    service.register(AGENT, draft("a", hours_ago=5))
    sent = draft("b", hours_ago=1)
    first = service.register(AGENT, sent)
    retry = service.register(AGENT, replace(draft("b", hours_ago=1), summary="anders"))
    assert retry == first
    assert retry.repeat.previous_contacts == 1
    assert retry.summary == SUMMARY
    assert service.register(AGENT, sent) == first, "the spent subject sent again: from the store"
    assert rows(register.engine) == 2


def test_a_subject_serves_one_request_only(register: Register) -> None:
    sent = register.draft("a")
    register.service.register(AGENT, sent)
    with pytest.raises(PermissionDenied) as caught:
        register.service.register(AGENT, replace(sent, request_id="b"))
    assert caught.value.reason == "TAG_SPENT"
    twice = [register.draft("c"), register.draft("d")]
    twice[1] = replace(twice[1], subject=twice[0].subject)
    with pytest.raises(InvalidArgument) as refused:
        register.service.register_batch(AGENT, twice)
    assert [v.field for v in refused.value.violations] == ["requests[1].subject"]
    assert rows(register.engine) == 1


def test_concurrent_retries_make_one_contact(register: Register) -> None:
    barrier = threading.Barrier(8)
    results: list[Contact] = []
    errors: list[BaseException] = []
    attempts = [register.draft("same") for _ in range(8)]

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            results.append(register.service.register(AGENT, attempts[n]))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({c.id for c in results}) == 1
    assert len(results) == 8
    assert rows(register.engine) == 1


def test_concurrent_batches_with_shared_request_ids_make_one_contact_each(
    register: Register,
) -> None:
    batches = [
        [register.draft(f"r{i}", who=f"p{i % 3}", hours_ago=10 - i) for i in range(10)]
        for _ in range(4)
    ]
    barrier = threading.Barrier(4)
    results: list[list[Contact]] = []

    def attempt(n: int) -> None:
        barrier.wait()
        results.append(register.service.register_batch(AGENT, batches[n]))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all([c.id for c in r] == [c.id for c in results[0]] for r in results)
    assert rows(register.engine) == 10
    again = register.service.register_batch(AGENT, batches[0])
    assert [c.id for c in again] == [c.id for c in results[0]], "a re-sent batch: from the store"


def test_a_batch_computes_repeats_in_order_and_dedupes(register: Register) -> None:
    service, draft = register.service, register.draft
    stored = service.register(AGENT, draft("old", hours_ago=30))
    twice = draft("n1", hours_ago=20)
    batch = [
        draft("old", hours_ago=30),
        twice,
        twice,
        draft("n2", who="bob", hours_ago=10),
        draft("n3", hours_ago=5, domain="kcc"),
        draft("n4", hours_ago=2, topic="afval"),
    ]
    result = service.register_batch(AGENT, batch)
    assert result[0] == stored
    assert result[1] == result[2]
    assert result[1].repeat.previous_contacts == 1
    assert not result[3].repeat.is_repeat
    assert not result[4].repeat.is_repeat
    assert result[5].repeat.previous_contacts == 2
    assert result[5].repeat.same_topic is False
    assert rows(register.engine) == 5
    assert register.pseudonyms.calls[-1] == 5, "one claim call for the whole batch"


def test_pseudonym_service_down_writes_nothing(register: Register) -> None:
    register.pseudonyms.down = True
    with pytest.raises(Unavailable):
        register.service.register(AGENT, register.draft("a"))
    with pytest.raises(Unavailable):
        register.service.register_batch(AGENT, [register.draft("b"), register.draft("c")])
    assert rows(register.engine) == 0


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        (b"\x00" * 96, "UNTAGGED_PSEUDONYM"),
        (b"\x01" * 300, "UNTAGGED_PSEUDONYM"),
        ("kcc", "WRONG_AUDIENCE"),
        ("tampered", "TAG_INVALID"),
    ],
)
def test_bad_subjects_are_refused_naming_the_field_and_write_nothing(
    register: Register, subject: bytes | str, reason: str
) -> None:
    draft = register.draft
    if subject == "kcc":
        subject = register.person("alice", "kcc")
    elif subject == "tampered":
        issued = register.person("alice", "burgerzaken")
        subject = issued[:-1] + bytes([issued[-1] ^ 1])
    assert isinstance(subject, bytes)
    with pytest.raises(InvalidArgument) as caught:
        register.service.register(AGENT, replace(draft("a"), subject=subject))
    assert [v.field for v in caught.value.violations] == ["subject"]
    assert caught.value.reason == reason
    batch = [draft("a"), draft("b"), replace(draft("c"), subject=subject)]
    calls = len(register.pseudonyms.calls)
    with pytest.raises(InvalidArgument) as caught:
        register.service.register_batch(AGENT, batch)
    assert [v.field for v in caught.value.violations] == ["requests[2].subject"]
    assert len(register.pseudonyms.calls) == calls, "refused before anything is claimed"
    assert rows(register.engine) == 0


def test_bad_input_names_the_field_and_writes_nothing(register: Register) -> None:
    draft = register.draft
    with pytest.raises(InvalidArgument) as caught:
        register.service.register(AGENT, replace(draft("a"), topic="ruimtevaart"))
    assert [v.field for v in caught.value.violations] == ["topic"]
    batch = [draft("a"), replace(draft("b"), occurred_at=NOW + timedelta(hours=1))]
    with pytest.raises(InvalidArgument) as caught:
        register.service.register_batch(AGENT, batch)
    assert [v.field for v in caught.value.violations] == ["requests[1].occurred_at"]
    assert rows(register.engine) == 0


def test_only_writers_of_the_domain_may_register(register: Register) -> None:
    draft = register.draft
    analyst = Principal("a", frozenset({"burgerzaken"}), frozenset({"analyst"}))
    other_domain = Principal("b", frozenset({"kcc"}), frozenset({"agent"}))
    with pytest.raises(PermissionDenied):
        register.service.register(analyst, draft("a"))
    with pytest.raises(PermissionDenied):
        register.service.register(other_domain, draft("a"))
    with pytest.raises(PermissionDenied):
        register.service.register_batch(other_domain, [draft("a", domain="kcc"), draft("b")])
    assert rows(register.engine) == 0


def test_summaries_and_subjects_are_not_stored_in_clear(
    register: Register, database_url: str
) -> None:
    sent = register.draft("a")
    contact = register.service.register(AGENT, sent)
    assert register.queries.get(AGENT, contact.id).summary == SUMMARY
    text = dump_database_text(database_url)
    assert contact.id in text
    assert "paspoortaanvraag" not in text
    assert sent.subject.hex() not in text, "the issued bytes are not kept"
    assert contact.subject == register.pseudonym("alice", "burgerzaken")
