"""Storing prepared registrations: contacts, their events and records, in one transaction.

Each new contact's ContactRegistered event and its processing record (``contacts.register``,
under a record id derived from its request, naming the subject the claim gave) are kept in
the transaction that stores it, so both exist exactly when the contact does; relays deliver
them afterwards. The contact's row keeps its subject's stored reference. A request stored
already is answered from the store (with the caller's request_id, which is not stored) and
records nothing again. The insert is guarded by the unique (domain, request digest): a
concurrent attempt that loses it raises
:class:`~stadskamer.contacts.adapters.repository.DuplicateRequest`, and the caller stores
again with ``lookup`` to return what the winner stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import Unavailable
from stadskamer.common.outbox import OutboxEvent
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.record_keeping import RecordKeeper
from stadskamer.contacts.adapters.repository import ContactRepository, StoredContact
from stadskamer.contacts.domain import (
    Channel,
    Contact,
    ContactPolicy,
    Draft,
    PriorContact,
    RepeatSignal,
    repeat_signal,
)
from stadskamer.contacts.ports import ContactEvents
from stadskamer.contacts.summaries import SummaryCipher

Key = tuple[str, bytes]


@dataclass(frozen=True)
class Prepared:
    """A validated draft with its request digest, id, claimed subject (domain pseudonym and
    stored reference), sealed summary and, when records are kept, its processing record (made
    in the caller's trace) and the record's subject."""

    draft: Draft
    digest: bytes
    id: str
    pseudonym: bytes | None
    sealed: bytes | None
    record: ProcessingRecord | None = None
    record_subject: bytes = b""
    reference: bytes | None = None
    answered: bool = False  # stored already (its subject was not claimed again): from the store

    @property
    def key(self) -> Key:
        """The request's idempotency key, (domain, request digest)."""
        return (self.draft.domain, self.digest)

    def finished_record(self) -> ProcessingRecord | None:
        """The processing record with its subject."""
        if self.record is None or not self.record_subject:
            return self.record
        return replace(self.record, subject_tagged=self.record_subject)


@dataclass
class ContactStore:
    """Writes prepared registrations (``write_guard``: see ContactsService)."""

    policy: ContactPolicy
    cipher: SummaryCipher
    unit_of_work: Callable[[], UnitOfWork]
    key_version: str = "v1"
    write_guard: AbstractContextManager[object] = field(default_factory=nullcontext)
    records: RecordKeeper | None = None
    events: ContactEvents | None = None
    on_event: Callable[[], None] = lambda: None

    def store(self, items: Sequence[Prepared], now: datetime, lookup: bool) -> list[Contact]:
        """Store the new ones among ``items``; with ``lookup`` answer stored ones from the
        store. Raises DuplicateRequest when a concurrent attempt stored one first."""
        events = self._announcements(items, now)
        with self.write_guard, self.unit_of_work() as uow:
            repository = ContactRepository(uow.session)
            existing = self._existing(repository, items) if lookup else {}
            priors = self._priors(repository, items)
            results: list[Contact] = []
            created: dict[Key, Contact] = {}
            new: list[StoredContact] = []
            records: list[ProcessingRecord] = []
            for item in items:
                if item.key in existing:
                    results.append(replace(existing[item.key], request_id=item.draft.request_id))
                    continue
                if item.key in created:
                    results.append(created[item.key])
                    continue
                if item.answered:
                    raise Unavailable("a stored request could not be read back", "CONTENTION")
                contact = self._contact(item, now, priors)
                created[item.key] = contact
                results.append(contact)
                new.append(
                    StoredContact(
                        replace(contact, summary="", request_id=""),
                        item.sealed,
                        self.key_version,
                        item.digest,
                        item.reference,
                    )
                )
                record = item.finished_record()
                if record is not None:
                    records.append(record)
            repository.add(new)
            repository.add_events([events[k] for k in created if k in events])
            if self.records is not None:
                self.records.keep(uow.session, records)
            uow.commit()
        if new and self.records is not None:
            self.records.committed()
        if new and self.events is not None:
            self.on_event()
        return results

    def _announcements(self, items: Sequence[Prepared], now: datetime) -> dict[Key, OutboxEvent]:
        """The ContactRegistered event of each claimed item, built before the write lock is
        taken (a fresh reference per subject, in one call); only new contacts' events are
        stored. An item answered from the store has no claim and needs no event."""
        if self.events is None:
            return {}
        claimed = [i for i in items if not i.answered]
        found = self.events.registered(
            [(self._contact(i, now, defaultdict(list)), i.reference) for i in claimed]
        )
        return {i.key: event for i, event in zip(claimed, found, strict=True)}

    def _contact(
        self, item: Prepared, now: datetime, priors: dict[tuple[str, bytes], list[PriorContact]]
    ) -> Contact:
        draft = item.draft
        window = self.policy.window_days(draft.domain)
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
        self, repository: ContactRepository, items: Sequence[Prepared]
    ) -> dict[Key, Contact]:
        stored = repository.by_keys(i.key for i in items)
        return {key: open_summary(self.cipher, contact) for key, contact in stored.items()}

    def _priors(
        self, repository: ContactRepository, items: Sequence[Prepared]
    ) -> dict[tuple[str, bytes], list[PriorContact]]:
        by_domain: dict[str, list[Prepared]] = defaultdict(list)
        for item in items:
            if item.pseudonym is not None:
                by_domain[item.draft.domain].append(item)
        priors: dict[tuple[str, bytes], list[PriorContact]] = defaultdict(list)
        for domain, group in by_domain.items():
            window = timedelta(days=self.policy.window_days(domain))
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
