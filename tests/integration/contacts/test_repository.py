"""The contact repository on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from stadskamer.contacts.adapters.repository import (
    ContactFilter,
    ContactRepository,
    Cursor,
    DuplicateRequest,
    SpentGrantRepository,
    StoredContact,
    to_us,
)
from stadskamer.contacts.domain import Channel, Contact, RepeatSignal
from tests.integration.contacts.conftest import NOW

ALICE = b"\xaa" * 32
BOB = b"\xbb" * 32


def contact(
    number: int,
    domain: str = "kcc",
    subject: bytes | None = ALICE,
    hours_ago: float = 0,
    topic: str = "afval",
    channel: Channel = Channel.PHONE,
    repeat: RepeatSignal | None = None,
) -> StoredContact:
    return StoredContact(
        Contact(
            id=f"00000000-0000-0000-0000-{number:012d}",
            domain=domain,
            request_id="",
            subject=subject,
            channel=channel,
            topic=topic,
            org_unit="kcc-telefonie",
            occurred_at=NOW - timedelta(hours=hours_ago),
            resolved_first_time=number % 2 == 0,
            summary="",
            created_at=NOW,
            repeat=repeat or RepeatSignal(),
        ),
        b"sealed" if number % 3 == 0 else None,
        "v1",
        digest(number),
        b"reference-%d" % number if subject is not None else None,
    )


def digest(number: int) -> bytes:
    """A stand-in request digest."""
    return number.to_bytes(32, "big")


def test_a_contact_is_stored_and_read_back_unchanged(engine: Engine) -> None:
    signal = RepeatSignal(2, True, NOW - timedelta(days=1), (Channel.COUNTER, Channel.PHONE), 14)
    stored = contact(3, repeat=signal)
    with Session(engine) as session:
        ContactRepository(session).add([stored])
        session.commit()
    with Session(engine) as session:
        repository = ContactRepository(session)
        assert repository.get(stored.contact.id) == stored
        assert repository.by_request_digests("kcc", [digest(3), digest(9)]) == {digest(3): stored}
        assert repository.by_request_digests("burgerzaken", [digest(3)]) == {}
        assert repository.get("no-such-id") is None


def test_the_same_request_digest_twice_in_a_domain_is_a_duplicate(engine: Engine) -> None:
    with Session(engine) as session:
        ContactRepository(session).add([contact(1)])
        session.commit()
    with Session(engine) as session:
        clash = StoredContact(contact(2).contact, None, "v1", digest(1))
        with pytest.raises(DuplicateRequest):
            ContactRepository(session).add([clash])
        session.rollback()
        same_id_other_domain = StoredContact(
            Contact(**{**clash.contact.__dict__, "domain": "burgerzaken"}), None, "v1", digest(1)
        )
        ContactRepository(session).add([same_id_other_domain])
        session.commit()


def test_priors_are_those_of_the_subject_in_the_domain_and_period(engine: Engine) -> None:
    with Session(engine) as session:
        ContactRepository(session).add(
            [
                contact(1, hours_ago=1),
                contact(2, hours_ago=30),
                contact(3, hours_ago=500),
                contact(4, subject=BOB, hours_ago=2),
                contact(5, domain="burgerzaken", hours_ago=1),
                contact(6, subject=None, hours_ago=1),
            ]
        )
        session.commit()
        found = ContactRepository(session).priors("kcc", {ALICE, BOB}, NOW - timedelta(days=7), NOW)
    assert sorted(p.occurred_at for p in found[ALICE]) == [
        NOW - timedelta(hours=30),
        NOW - timedelta(hours=1),
    ]
    assert [p.occurred_at for p in found[BOB]] == [NOW - timedelta(hours=2)]


def test_pages_follow_the_keyset_newest_first_with_filters(engine: Engine) -> None:
    rows = [contact(n, hours_ago=n // 2, channel=Channel(1 + n % 2)) for n in range(1, 12)]
    rows.append(contact(20, domain="burgerzaken"))
    with Session(engine) as session:
        ContactRepository(session).add(rows)
        session.commit()
        repository = ContactRepository(session)
        everything = ContactFilter(domains=("kcc",))
        seen: list[str] = []
        after = None
        while True:
            page = repository.page(everything, after, 4)
            seen += [s.contact.id for s in page]
            if len(page) < 4:
                break
            last = page[-1].contact
            after = Cursor(to_us(last.occurred_at), last.id)
        expected = sorted(
            (r.contact for r in rows if r.contact.domain == "kcc"),
            key=lambda c: (c.occurred_at, c.id),
            reverse=True,
        )
        assert seen == [c.id for c in expected]
        phone = repository.page(ContactFilter(("kcc",), channel=Channel.PHONE), None, 50)
        assert {s.contact.channel for s in phone} == {Channel.PHONE}
        assert len(phone) == 6
        recent = ContactFilter(("kcc",), start=NOW - timedelta(hours=2), end=NOW)
        assert {s.contact.id[-2:] for s in repository.page(recent, None, 50)} == {
            "02",
            "03",
            "04",
            "05",
        }
        by_subject = ContactFilter(("kcc", "burgerzaken"), subjects={"burgerzaken": ALICE})
        assert [s.contact.domain for s in repository.page(by_subject, None, 50)] == ["burgerzaken"]


def test_topic_counts_group_per_bucket_and_flags(engine: Engine) -> None:
    with Session(engine) as session:
        ContactRepository(session).add(
            [
                contact(1, hours_ago=1, topic="afval"),
                contact(2, hours_ago=2, topic="afval"),
                contact(3, hours_ago=30, topic="afval"),
                contact(4, hours_ago=30, topic="paspoort", channel=Channel.COUNTER),
                contact(5, hours_ago=24 * 9, topic="afval"),
                contact(6, domain="burgerzaken", hours_ago=1, topic="afval"),
            ]
        )
        session.commit()
        rows = ContactRepository(session).topic_counts(
            "kcc", NOW + timedelta(seconds=1) - timedelta(days=3), timedelta(days=1), 3
        )
    totals: dict[tuple[str, int], int] = {}
    for row in rows:
        totals[(row.topic, row.bucket_index)] = totals.get((row.topic, row.bucket_index), 0) + (
            row.count
        )
    assert totals == {("afval", 2): 2, ("afval", 1): 1, ("paspoort", 1): 1}


def test_a_link_grant_is_spent_once_until_it_expires(engine: Engine) -> None:
    digest, expiry = b"\x01" * 32, NOW + timedelta(seconds=30)
    with Session(engine) as session:
        spent = SpentGrantRepository(session)
        assert spent.spend(digest, expiry)
        assert not spent.spend(digest, expiry)
        assert spent.prune(NOW) == 0
        session.commit()
    with Session(engine) as session:
        spent = SpentGrantRepository(session)
        assert not spent.spend(digest, expiry)
        assert spent.prune(expiry) == 1, "deleted at expiry"
        assert spent.spend(digest, expiry)
        session.commit()
