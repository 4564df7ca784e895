"""The contact register, stored with SQLAlchemy Core.

Rows hold the sealed summary; the service opens it, and the request_id's keyed digest, never
the request_id (a contact read back has an empty ``request_id``). Inserting a second contact
with the same (domain, request digest) raises :class:`DuplicateRequest`, on which the caller
rolls back and reads the first one. :class:`SpentGrantRepository` keeps the
link grants honoured here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadskamer.common.outbox import OutboxEvent
from stadskamer.contacts.adapters.orm import contacts, outbox, spent_link_grants
from stadskamer.contacts.domain import Channel, Contact, PriorContact, RepeatSignal
from stadskamer.contacts.signals import CountRow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_c = contacts.c
# The registration's statements, built once (building and keying them costs more than SQLite).
_INSERT = insert(contacts)
_PRIOR_COLUMNS = (_c.subject_pseudonym, _c.occurred_at_us, _c.topic, _c.channel)
_IN_WINDOW = (
    _c.domain == bindparam("domain"),
    _c.occurred_at_us >= bindparam("start"),
    _c.occurred_at_us <= bindparam("end"),
)
_PRIORS_OF_ONE = select(*_PRIOR_COLUMNS).where(
    _c.subject_pseudonym == bindparam("subject"), *_IN_WINDOW
)
_PRIORS_OF_MANY = select(*_PRIOR_COLUMNS).where(
    _c.subject_pseudonym.in_(bindparam("subjects", expanding=True)), *_IN_WINDOW
)


def to_us(moment: datetime) -> int:
    """UTC microseconds since the epoch."""
    return (moment - EPOCH) // _MICROSECOND


def from_us(value: int) -> datetime:
    """The UTC datetime of :func:`to_us`."""
    return EPOCH + value * _MICROSECOND


class DuplicateRequest(Exception):
    """A contact with this (domain, request digest) exists already; roll back and read it."""


@dataclass(frozen=True)
class StoredContact:
    """A contact as stored: the summary still sealed (``contact.summary`` is empty), the
    request_id as its keyed digest (``contact.request_id`` is not stored), and the subject's
    stored reference (a tagged pseudonym of the contact's domain; None without)."""

    contact: Contact
    sealed_summary: bytes | None
    key_version: str
    request_digest: bytes
    reference: bytes | None = None


@dataclass(frozen=True)
class ContactFilter:
    """What ListContacts selects. With ``subjects`` (domain → pseudonym) only those pairs."""

    domains: tuple[str, ...]
    subjects: Mapping[str, bytes] | None = None
    channel: Channel | None = None
    topic: str = ""
    org_unit: str = ""
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Cursor:
    """The last contact of a page: the next page continues strictly after it."""

    occurred_at_us: int
    id: str


def _values(stored: StoredContact) -> dict[str, Any]:
    contact, repeat = stored.contact, stored.contact.repeat
    return {
        "id": contact.id,
        "domain": contact.domain,
        "request_digest": stored.request_digest,
        "subject_pseudonym": contact.subject,
        "channel": int(contact.channel),
        "topic": contact.topic,
        "org_unit": contact.org_unit,
        "occurred_at_us": to_us(contact.occurred_at),
        "resolved_first_time": contact.resolved_first_time,
        "summary_sealed": stored.sealed_summary,
        "key_version": stored.key_version,
        "created_at_us": to_us(contact.created_at),
        "is_repeat": repeat.is_repeat,
        "repeat_previous": repeat.previous_contacts,
        "repeat_same_topic": repeat.same_topic,
        "repeat_last_at_us": to_us(repeat.last_contact_at) if repeat.last_contact_at else None,
        "repeat_channels": ",".join(str(int(c)) for c in repeat.channels),
        "repeat_window_days": repeat.window_days,
        "subject_reference": stored.reference,
    }


def _stored(row: Any) -> StoredContact:
    last = row.repeat_last_at_us
    repeat = RepeatSignal(
        previous_contacts=row.repeat_previous,
        same_topic=bool(row.repeat_same_topic),
        last_contact_at=from_us(last) if last is not None else None,
        channels=tuple(Channel(int(c)) for c in row.repeat_channels.split(",") if c),
        window_days=row.repeat_window_days,
    )
    contact = Contact(
        id=row.id,
        domain=row.domain,
        request_id="",
        subject=row.subject_pseudonym,
        channel=Channel(row.channel),
        topic=row.topic,
        org_unit=row.org_unit,
        occurred_at=from_us(row.occurred_at_us),
        resolved_first_time=bool(row.resolved_first_time),
        summary="",
        created_at=from_us(row.created_at_us),
        repeat=repeat,
    )
    reference = row.subject_reference
    return StoredContact(
        contact,
        row.summary_sealed,
        row.key_version,
        bytes(row.request_digest),
        bytes(reference) if reference else None,
    )


class ContactRepository:
    """Reads and writes contacts within a unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def _connection(self) -> Connection:
        """The session's connection: Core statements skip the ORM's execution path."""
        return self._session.connection()

    def add(self, stored: Sequence[StoredContact]) -> None:
        """Insert contacts; :class:`DuplicateRequest` if a (domain, request digest) exists."""
        if not stored:
            return
        try:
            self._connection.execute(_INSERT, [_values(s) for s in stored])
        except IntegrityError:
            raise DuplicateRequest from None

    def add_events(self, events: Sequence[OutboxEvent]) -> None:
        """Write events into the outbox, in this transaction."""
        outbox.add_all(self._connection, events)

    def get(self, contact_id: str) -> StoredContact | None:
        """One contact by id."""
        row = self._session.execute(select(contacts).where(_c.id == contact_id)).first()
        return _stored(row) if row is not None else None

    def by_keys(self, keys: Iterable[tuple[str, bytes]]) -> dict[tuple[str, bytes], StoredContact]:
        """The stored contacts among these (domain, request digest), keyed the same way."""
        wanted: dict[str, set[bytes]] = defaultdict(set)
        for domain, digest in keys:
            wanted[domain].add(digest)
        return {
            (domain, digest): stored
            for domain, digests in wanted.items()
            for digest, stored in self.by_request_digests(domain, digests).items()
        }

    def by_request_digests(
        self, domain: str, digests: Collection[bytes]
    ) -> dict[bytes, StoredContact]:
        """The contacts of ``domain`` registered with any of these request digests."""
        rows = self._session.execute(
            select(contacts).where(_c.domain == domain, _c.request_digest.in_(list(digests)))
        )
        return {stored.request_digest: stored for stored in map(_stored, rows)}

    def priors(
        self, domain: str, subjects: Collection[bytes], start: datetime, end: datetime
    ) -> dict[bytes, list[PriorContact]]:
        """Contacts of ``subjects`` in ``domain`` with ``start <= occurred_at <= end``."""
        wanted = list(subjects)
        window = {"domain": domain, "start": to_us(start), "end": to_us(end)}
        if len(wanted) == 1:
            rows = self._connection.execute(_PRIORS_OF_ONE, {**window, "subject": wanted[0]})
        else:
            rows = self._connection.execute(_PRIORS_OF_MANY, {**window, "subjects": wanted})
        found: dict[bytes, list[PriorContact]] = defaultdict(list)
        for row in rows:
            found[row.subject_pseudonym].append(
                PriorContact(from_us(row.occurred_at_us), row.topic, Channel(row.channel))
            )
        return found

    def page(self, where: ContactFilter, after: Cursor | None, limit: int) -> list[StoredContact]:
        """Up to ``limit`` contacts, newest first, strictly after ``after``."""
        query = select(contacts).where(*_conditions(where))
        if after is not None:
            query = query.where(
                or_(
                    _c.occurred_at_us < after.occurred_at_us,
                    and_(_c.occurred_at_us == after.occurred_at_us, _c.id < after.id),
                )
            )
        query = query.order_by(_c.occurred_at_us.desc(), _c.id.desc()).limit(limit)
        return [_stored(row) for row in self._connection.execute(query)]

    def topic_counts(
        self, domain: str, start: datetime, width: timedelta, count: int
    ) -> list[CountRow]:
        """Contacts of ``domain`` per topic, bucket, channel and flags in ``count`` buckets."""
        start_us, width_us = to_us(start), width // _MICROSECOND
        bucket = (_c.occurred_at_us - start_us) // width_us
        keys = (
            _c.topic,
            bucket,
            _c.channel,
            _c.is_repeat,
            _c.repeat_same_topic,
            _c.resolved_first_time,
        )
        rows = self._session.execute(
            select(*keys, func.count())
            .where(
                _c.domain == domain,
                _c.occurred_at_us >= start_us,
                _c.occurred_at_us < start_us + count * width_us,
            )
            .group_by(*keys)
        )
        return [
            CountRow(r[0], int(r[1]), Channel(r[2]), bool(r[3]), bool(r[4]), bool(r[5]), r[6])
            for r in rows
        ]


def _conditions(where: ContactFilter) -> Iterable[Any]:
    if where.subjects is not None:
        yield or_(
            *(
                and_(_c.domain == domain, _c.subject_pseudonym == pseudonym)
                for domain, pseudonym in where.subjects.items()
            )
        )
    elif len(where.domains) == 1:
        yield _c.domain == where.domains[0]
    else:
        yield _c.domain.in_(where.domains)
    if where.channel is not None:
        yield _c.channel == int(where.channel)
    if where.topic:
        yield _c.topic == where.topic
    if where.org_unit:
        yield _c.org_unit == where.org_unit
    if where.start is not None:
        yield _c.occurred_at_us >= to_us(where.start)
    if where.end is not None:
        yield _c.occurred_at_us < to_us(where.end)


class SpentGrantRepository:
    """The link grants honoured here (by keyed digest), each once, forgotten at expiry."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def spend(self, digest: bytes, expires_at: datetime) -> bool:
        """Record the grant as used; False when it was used here before."""
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(spent_link_grants).values(
                        grant_digest=digest, expires_at_us=to_us(expires_at)
                    )
                )
        except IntegrityError:
            return False
        return True

    def prune(self, now: datetime) -> int:
        """Delete the grants that have expired; returns how many."""
        result = self._session.execute(
            delete(spent_link_grants).where(spent_link_grants.c.expires_at_us <= to_us(now))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
