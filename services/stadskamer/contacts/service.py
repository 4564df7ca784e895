"""Registering contacts: validate, authorise, pseudonymise, then store in one transaction.

Each new contact's ContactRegistered event and its processing record (``contacts.register``,
under a record id derived from its request) are kept in that same transaction, so both exist
exactly when the contact does; relays deliver them afterwards. A retry that returns the
stored contact records nothing again. The record keeper is asked first whether records can
reach the processing log at all: when not, nothing is converted or written (UNAVAILABLE).

The conversion of the polymorphic pseudonym happens before the transaction opens, so a
pseudonym service that cannot be reached leaves nothing written. The insert is guarded by
the unique (domain, request_id): a concurrent retry loses the insert, rolls back and returns
the contact the winner stored, with the repeat signal computed then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import FieldViolation, InvalidArgument, Unavailable
from stadskamer.common.outbox import OutboxEvent
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.record_keeping import RecordKeeper
from stadskamer.contacts.adapters.repository import (
    ContactRepository,
    DuplicateRequest,
    StoredContact,
)
from stadskamer.contacts.domain import (
    Channel,
    Contact,
    ContactPolicy,
    Draft,
    PriorContact,
    RepeatSignal,
    repeat_signal,
)
from stadskamer.contacts.ports import (
    ContactEvents,
    PseudonymPort,
    RejectedPseudonym,
)
from stadskamer.contacts.request_ids import contact_id_of, record_id
from stadskamer.contacts.summaries import SummaryCipher

MAX_BATCH = 1000
WRITE_ROLES = ("agent", "system", "service")
_ATTEMPTS = 3

Clock = Callable[[], datetime]


def convert(
    pseudonyms: PseudonymPort, items: Sequence[tuple[bytes, str]], for_audit: bool
) -> list[tuple[bytes, bytes]]:
    """Per (polymorphic pseudonym, domain) the domain pseudonym and, when ``for_audit``, the
    processing record's subject (that pseudonym encrypted under the domain key; else empty),
    in one call to the pseudonym service."""
    if for_audit:
        return pseudonyms.with_record_subjects(items)
    return [(pseudonym, b"") for pseudonym in pseudonyms.domain_pseudonyms(items)]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Prepared:
    """A validated draft with its new id, domain pseudonym and sealed summary."""

    draft: Draft
    id: str
    pseudonym: bytes | None
    sealed: bytes | None
    record_subject: bytes = b""

    @property
    def key(self) -> tuple[str, str]:
        """The request's idempotency key, (domain, request_id)."""
        return (self.draft.domain, self.draft.request_id)


class ContactsService:
    """The write use cases of the contact register.

    ``write_guard`` is held around each write transaction: a process-wide lock on SQLite,
    which admits one writer at a time and whose busy handler waits by sleeping (up to 100 ms
    a try), so in-process writers queue on the lock instead; nothing on PostgreSQL.
    """

    def __init__(
        self,
        policy: ContactPolicy,
        pseudonyms: PseudonymPort,
        cipher: SummaryCipher,
        unit_of_work: Callable[[], UnitOfWork],
        key_version: str = "v1",
        clock: Clock = utc_now,
        write_guard: AbstractContextManager[object] | None = None,
        records: RecordKeeper | None = None,
        events: ContactEvents | None = None,
        on_event: Callable[[], None] = lambda: None,
    ) -> None:
        self._records = records
        self._events = events
        self._on_event = on_event
        self._write_guard = write_guard or nullcontext()
        self._policy = policy
        self._pseudonyms = pseudonyms
        self._cipher = cipher
        self._unit_of_work = unit_of_work
        self._key_version = key_version
        self._clock = clock

    def register(self, caller: Principal, draft: Draft) -> Contact:
        """Register one contact; a retry with the same request_id returns the first one."""
        return self._register(caller, [draft], "")[0]

    def register_batch(self, caller: Principal, drafts: Sequence[Draft]) -> list[Contact]:
        """Register up to 1000 contacts, all or nothing, each idempotent on its request_id."""
        if not drafts or len(drafts) > MAX_BATCH:
            raise InvalidArgument.for_field("requests", f"give 1 to {MAX_BATCH} contacts")
        return self._register(caller, drafts, "requests[{}].")

    def _register(self, caller: Principal, drafts: Sequence[Draft], prefix: str) -> list[Contact]:
        now = self._clock()
        self._check(drafts, now, prefix)
        caller.require_role(*WRITE_ROLES)
        for draft in drafts:
            caller.require_domain(draft.domain)
        if self._records is not None:
            self._records.ensure_open()
        prepared = self._prepare(drafts, prefix)
        for attempt in range(_ATTEMPTS):
            try:
                lookup = attempt > 0 or len(prepared) > 1
                return self._store(caller.subject, prepared, now, lookup)
            except DuplicateRequest:
                continue
        raise Unavailable("concurrent registrations with these request ids", "CONTENTION")

    def _check(self, drafts: Sequence[Draft], now: datetime, prefix: str) -> None:
        found: list[FieldViolation] = []
        for index, draft in enumerate(drafts):
            found += [
                FieldViolation(prefix.format(index) + name, text)
                for name, text in self._policy.violations(draft, now)
            ]
        if found:
            names = ", ".join(v.field for v in found[:10])
            raise InvalidArgument(f"invalid contact: {names}", "INVALID_CONTACT", violations=found)

    def _prepare(self, drafts: Sequence[Draft], prefix: str) -> list[_Prepared]:
        positions = [i for i, d in enumerate(drafts) if d.subject]
        items = [(drafts[i].subject, drafts[i].domain) for i in positions]
        try:
            converted = convert(self._pseudonyms, items, self._records is not None)
        except RejectedPseudonym as error:
            name = prefix.format(positions[error.index]) + "subject"
            raise InvalidArgument.for_field(
                name, "not a polymorphic pseudonym of this deployment", error.reason
            ) from None
        found = dict(zip(positions, converted, strict=True))
        prepared = []
        for index, draft in enumerate(drafts):
            contact_id = contact_id_of(draft.domain, draft.request_id)
            sealed = (
                self._cipher.seal(draft.domain, contact_id, draft.summary)
                if draft.summary
                else None
            )
            pseudonym, record_subject = found.get(index, (None, b""))
            prepared.append(_Prepared(draft, contact_id, pseudonym, sealed, record_subject))
        return prepared

    def _store(
        self, actor: str, items: Sequence[_Prepared], now: datetime, lookup: bool
    ) -> list[Contact]:
        events = self._announcements(items, now)
        with self._write_guard, self._unit_of_work() as uow:
            repository = ContactRepository(uow.session)
            existing = self._existing(repository, items) if lookup else {}
            priors = self._priors(repository, items)
            results: list[Contact] = []
            created: dict[tuple[str, str], Contact] = {}
            new: list[StoredContact] = []
            records: list[ProcessingRecord] = []
            for item in items:
                if item.key in existing or item.key in created:
                    results.append(existing.get(item.key) or created[item.key])
                    continue
                contact = self._contact(item, now, priors)
                created[item.key] = contact
                results.append(contact)
                sealed = StoredContact(replace(contact, summary=""), item.sealed, self._key_version)
                new.append(sealed)
                records.append(self._record(actor, item))
            repository.add(new)
            repository.add_events([events[k] for k in created if k in events])
            if self._records is not None:
                self._records.keep(uow.session, records)
            uow.commit()
        if new and self._records is not None:
            self._records.committed()
        if new and self._events is not None:
            self._on_event()
        return results

    def _record(self, actor: str, item: _Prepared) -> ProcessingRecord:
        """The processing record of one new contact; its id is derived from the request."""
        domain = item.draft.domain
        return ProcessingRecord.now(
            "contacts.register",
            "OK",
            self._clock,
            record_id=record_id(domain, item.draft.request_id),
            actor=actor,
            requester_domain=domain,
            target_domain=domain,
            reference=f"contacts/{item.id}",
            subject_encrypted=item.record_subject,
            subject_domain=domain if item.record_subject else "",
        )

    def _announcements(
        self, items: Sequence[_Prepared], now: datetime
    ) -> dict[tuple[str, str], OutboxEvent]:
        """The ContactRegistered event of each item, built before the write lock is taken
        (the subject's encryption is the costly part); only new contacts' events are stored."""
        if self._events is None:
            return {}
        return {
            (i.draft.domain, i.draft.request_id): self._events.registered(
                self._contact(i, now, defaultdict(list))
            )
            for i in items
        }

    def _contact(
        self,
        item: _Prepared,
        now: datetime,
        priors: dict[tuple[str, bytes], list[PriorContact]],
    ) -> Contact:
        draft = item.draft
        window = self._policy.window_days(draft.domain)
        signal = RepeatSignal(window_days=window)
        if item.pseudonym is not None:
            earlier = priors[(draft.domain, item.pseudonym)]
            signal = repeat_signal(draft.topic, draft.occurred_at, window, earlier)
            earlier.append(PriorContact(draft.occurred_at, draft.topic, Channel(draft.channel)))
        return Contact(
            id=item.id,
            domain=draft.domain,
            request_id=draft.request_id,
            subject=item.pseudonym,
            channel=Channel(draft.channel),
            topic=draft.topic,
            org_unit=draft.org_unit,
            occurred_at=draft.occurred_at,
            resolved_first_time=draft.resolved_first_time,
            summary=draft.summary,
            created_at=now,
            repeat=signal,
        )

    def _existing(
        self, repository: ContactRepository, items: Sequence[_Prepared]
    ) -> dict[tuple[str, str], Contact]:
        stored = repository.by_keys(i.key for i in items)
        return {key: open_summary(self._cipher, contact) for key, contact in stored.items()}

    def _priors(
        self, repository: ContactRepository, items: Sequence[_Prepared]
    ) -> dict[tuple[str, bytes], list[PriorContact]]:
        by_domain: dict[str, list[_Prepared]] = defaultdict(list)
        for item in items:
            if item.pseudonym is not None:
                by_domain[item.draft.domain].append(item)
        priors: dict[tuple[str, bytes], list[PriorContact]] = defaultdict(list)
        for domain, group in by_domain.items():
            window = timedelta(days=self._policy.window_days(domain))
            start = min(i.draft.occurred_at for i in group) - window
            end = max(i.draft.occurred_at for i in group)
            subjects = {i.pseudonym for i in group if i.pseudonym is not None}
            for subject, found in repository.priors(domain, subjects, start, end).items():
                priors[(domain, subject)] = found
        return priors


def open_summary(cipher: SummaryCipher, stored: StoredContact) -> Contact:
    """The stored contact with its summary decrypted."""
    contact = stored.contact
    if stored.sealed_summary is None:
        return contact
    return replace(contact, summary=cipher.open(contact.domain, contact.id, stored.sealed_summary))
