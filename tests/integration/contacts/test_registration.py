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
from stadskamer.contacts.domain import Channel, Contact, Draft
from tests.integration.contacts.conftest import NOW, Register, person
from tests.support.databases import dump_database_text

AGENT = Principal("agent-1", frozenset({"kcc", "burgerzaken"}), frozenset({"agent"}))
SUMMARY = "Meneer belt opnieuw over zijn paspoortaanvraag."


def draft(
    request_id: str,
    domain: str = "burgerzaken",
    who: str = "alice",
    hours_ago: float = 1,
    channel: Channel = Channel.COUNTER,
    topic: str = "paspoort",
) -> Draft:
    return Draft(
        request_id=request_id,
        domain=domain,
        subject=person(who) if who else b"",
        channel=int(channel),
        topic=topic,
        org_unit="stadswinkel-centrum",
        occurred_at=NOW - timedelta(hours=hours_ago),
        resolved_first_time=False,
        summary=SUMMARY,
    )


def rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(contacts)).scalar_one())


def test_repeats_link_within_a_domain_only(register: Register) -> None:
    service = register.service
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
    service = register.service
    service.register(AGENT, draft("a", hours_ago=5))
    first = service.register(AGENT, draft("b", hours_ago=1))
    retry = service.register(AGENT, replace(draft("b", hours_ago=1), summary="anders"))
    assert retry == first
    assert retry.repeat.previous_contacts == 1
    assert retry.summary == SUMMARY
    assert rows(register.engine) == 2


def test_concurrent_retries_make_one_contact(register: Register) -> None:
    barrier = threading.Barrier(8)
    results: list[Contact] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            barrier.wait()
            results.append(register.service.register(AGENT, draft("same")))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
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
    batch = [draft(f"r{i}", who=f"p{i % 3}", hours_ago=10 - i) for i in range(10)]
    barrier = threading.Barrier(4)
    results: list[list[Contact]] = []

    def attempt() -> None:
        barrier.wait()
        results.append(register.service.register_batch(AGENT, batch))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all([c.id for c in r] == [c.id for c in results[0]] for r in results)
    assert rows(register.engine) == 10


def test_a_batch_computes_repeats_in_order_and_dedupes(register: Register) -> None:
    service = register.service
    stored = service.register(AGENT, draft("old", hours_ago=30))
    batch = [
        draft("old", hours_ago=30),
        draft("n1", hours_ago=20),
        draft("n1", hours_ago=20),
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
    assert register.pseudonyms.calls[-1] == 6, "one conversion call for the whole batch"


def test_pseudonym_service_down_writes_nothing(register: Register) -> None:
    register.pseudonyms.down = True
    with pytest.raises(Unavailable):
        register.service.register(AGENT, draft("a"))
    with pytest.raises(Unavailable):
        register.service.register_batch(AGENT, [draft("b"), draft("c")])
    assert rows(register.engine) == 0


def test_bad_input_names_the_field_and_writes_nothing(register: Register) -> None:
    with pytest.raises(InvalidArgument) as caught:
        register.service.register(AGENT, replace(draft("a"), topic="ruimtevaart"))
    assert [v.field for v in caught.value.violations] == ["topic"]
    with pytest.raises(InvalidArgument) as caught:
        register.service.register(AGENT, replace(draft("a"), subject=b"\x00" * 96))
    assert [v.field for v in caught.value.violations] == ["subject"]
    batch = [draft("a"), draft("b"), replace(draft("c"), subject=b"\x00" * 96)]
    with pytest.raises(InvalidArgument) as caught:
        register.service.register_batch(AGENT, batch)
    assert [v.field for v in caught.value.violations] == ["requests[2].subject"]
    batch = [draft("a"), replace(draft("b"), occurred_at=NOW + timedelta(hours=1))]
    with pytest.raises(InvalidArgument) as caught:
        register.service.register_batch(AGENT, batch)
    assert [v.field for v in caught.value.violations] == ["requests[1].occurred_at"]
    assert rows(register.engine) == 0


def test_only_writers_of_the_domain_may_register(register: Register) -> None:
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
    contact = register.service.register(AGENT, draft("a"))
    assert register.queries.get(AGENT, contact.id).summary == SUMMARY
    text = dump_database_text(database_url)
    assert contact.id in text
    assert "paspoortaanvraag" not in text
    assert person("alice").hex() not in text
