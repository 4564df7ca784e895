"""Registering contacts: validate, authorise, claim the subject, then store in one transaction.

The record keeper is asked first whether records can reach the processing log at all: when
not, nothing is claimed or written (UNAVAILABLE). Each subject, a tagged pseudonym of the
contact's domain, is checked on its own first (:mod:`stadskamer.contacts.subjects`), so a bad
one is refused (INVALID_ARGUMENT naming it) before it meets any other registration. The claim
happens before the transaction opens, so a pseudonym service that cannot be reached leaves
nothing written; it gives the domain pseudonym, the stored reference kept with the contact
and the subject of the processing record. Storing, with the contact's event and processing
record in the same transaction, is :mod:`stadskamer.contacts.storing`.

Single registrations that arrive together are combined (:mod:`stadskamer.common.combining`):
one claim call and one transaction for all of them, while each caller still gets its own
answer; anything else that fails a combined batch (but a dependency that is down) is narrowed
by the combiner to the registration that causes it, and each processing record carries its
own caller and trace. ``BatchRegisterContacts`` stays all or nothing.

A claim spends its tagged pseudonym, so a retry that sends the same bytes again is not claimed
again: a subject claimed in this process before is answered from the store when its request
is stored, or refused alone (PERMISSION_DENIED, ``TAG_SPENT``) before it could join a claim
call, which it would fail for all (and spend the subjects before it in that call); one spent
elsewhere is refused by the pseudonym service, and the call is answered from the store when
every request in it is stored already.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from stadskamer.common.auth import Principal
from stadskamer.common.combining import Combiner
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import (
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    StadskamerError,
    Unavailable,
)
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.record_keeping import RecordKeeper
from stadskamer.contacts.adapters.repository import ContactRepository, DuplicateRequest
from stadskamer.contacts.domain import Contact, ContactPolicy, Draft
from stadskamer.contacts.ports import ContactEvents
from stadskamer.contacts.request_ids import RequestKeys, contact_id_of, record_id
from stadskamer.contacts.storing import ContactStore, Key, Prepared
from stadskamer.contacts.subjects import Checked, Claimed, Subjects
from stadskamer.contacts.summaries import SummaryCipher

MAX_BATCH = 1000
WRITE_ROLES = ("agent", "system", "service")
_ATTEMPTS = 3

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Submission:
    """One admitted RegisterContact, waiting to be combined with others."""

    draft: Draft
    digest: bytes
    subject: Checked | None
    record: ProcessingRecord | None
    now: datetime


class ContactsService:
    """The write use cases of the contact register.

    ``write_guard`` is held around each write transaction: a process-wide lock on SQLite,
    which admits one writer at a time and whose busy handler waits by sleeping (up to 100 ms
    a try), so in-process writers queue on the lock instead; nothing on PostgreSQL.
    """

    def __init__(
        self,
        policy: ContactPolicy,
        subjects: Subjects,
        cipher: SummaryCipher,
        request_keys: RequestKeys,
        unit_of_work: Callable[[], UnitOfWork],
        key_version: str = "v1",
        clock: Clock = utc_now,
        write_guard: AbstractContextManager[object] | None = None,
        records: RecordKeeper | None = None,
        events: ContactEvents | None = None,
        on_event: Callable[[], None] = lambda: None,
    ) -> None:
        self._records = records
        self._policy = policy
        self._subjects = subjects
        self._cipher = cipher
        self._request_keys = request_keys
        self._clock = clock
        self._unit_of_work = unit_of_work
        self._store = ContactStore(
            policy,
            cipher,
            unit_of_work,
            key_version,
            write_guard or nullcontext(),
            records,
            events,
            on_event,
        )
        self._combiner: Combiner[_Submission, Contact] = Combiner(
            self._combined, shared=lambda error: isinstance(error, Unavailable)
        )

    def register(self, caller: Principal, draft: Draft) -> Contact:
        """Register one contact; a retry with the same request_id returns the first one."""
        now = self._clock()
        self._admit(caller, [draft], now, "")
        digest = self._digest(draft)
        subject = self._checked([draft], "subject")[0]
        record = self._record(caller, draft, digest)
        return self._combiner.submit(_Submission(draft, digest, subject, record, now))

    def register_batch(self, caller: Principal, drafts: Sequence[Draft]) -> list[Contact]:
        """Register up to 1000 contacts, all or nothing, each idempotent on its request_id."""
        if not drafts or len(drafts) > MAX_BATCH:
            raise InvalidArgument.for_field("requests", f"give 1 to {MAX_BATCH} contacts")
        now = self._clock()
        self._admit(caller, drafts, now, "requests[{}].")
        subjects = self._checked(drafts, "requests[{}].subject")
        digests = [self._digest(draft) for draft in drafts]
        records = [
            self._record(caller, d, digest) for d, digest in zip(drafts, digests, strict=True)
        ]
        prepared = self._prepare(drafts, digests, subjects, records)
        for index, item in enumerate(prepared):
            if isinstance(item, InvalidArgument):
                raise _reused(f"requests[{index}].subject")
            if isinstance(item, StadskamerError):
                raise item
        return self._stored([p for p in prepared if isinstance(p, Prepared)], now)

    def _admit(
        self, caller: Principal, drafts: Sequence[Draft], now: datetime, prefix: str
    ) -> None:
        """Validate and authorise; refuse (UNAVAILABLE) when records cannot be kept."""
        self._check(drafts, now, prefix)
        caller.require_role(*WRITE_ROLES)
        for draft in drafts:
            caller.require_domain(draft.domain)
        if self._records is not None:
            self._records.ensure_open()

    def _checked(self, drafts: Sequence[Draft], field: str) -> list[Checked | None]:
        """Each draft's subject checked on its own (None: anonymous); ``field`` names it."""
        return [
            self._subjects.check(d.subject, d.domain, field.format(i)) if d.subject else None
            for i, d in enumerate(drafts)
        ]

    def _combined(self, submissions: Sequence[_Submission]) -> list[Contact | BaseException]:
        """Registrations that arrived together: one claim call, one transaction. A subject
        sent twice under different requests is refused for the later one; any other failure
        raises, and the combiner runs the registrations again in smaller batches to find the
        one that causes it."""
        prepared = self._prepare(
            [s.draft for s in submissions],
            [s.digest for s in submissions],
            [s.subject for s in submissions],
            [s.record for s in submissions],
        )
        ready = [item for item in prepared if isinstance(item, Prepared)]
        if not ready:  # every one refused
            return [item for item in prepared if isinstance(item, StadskamerError)]
        pairs = zip(submissions, prepared, strict=True)
        now = max(s.now for s, item in pairs if isinstance(item, Prepared))
        stored = iter(self._stored(ready, now))
        return [item if isinstance(item, StadskamerError) else next(stored) for item in prepared]

    def _stored(self, prepared: Sequence[Prepared], now: datetime) -> list[Contact]:
        """Store, answering a request stored meanwhile by another attempt from the store."""
        lookup = len(prepared) > 1 or any(p.answered for p in prepared)
        for attempt in range(_ATTEMPTS):
            try:
                return self._store.store(prepared, now, lookup=lookup or attempt > 0)
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

    def _digest(self, draft: Draft) -> bytes:
        """The keyed digest of the draft's request_id, in its domain."""
        return self._request_keys.digest(draft.domain, draft.request_id)

    def _prepare(
        self,
        drafts: Sequence[Draft],
        digests: Sequence[bytes],
        subjects: Sequence[Checked | None],
        records: Sequence[ProcessingRecord | None],
    ) -> list[Prepared | StadskamerError]:
        """Claim the subjects (one call) and seal the summaries. A subject that another
        request of ``drafts`` sends too gets INVALID_ARGUMENT in its place; the same request
        sent twice shares one claim. A subject claimed here before is not claimed again: its
        request is answered from the store, or refused alone (TAG_SPENT) when not stored."""
        keys = [(d.domain, digest) for d, digest in zip(drafts, digests, strict=True)]
        owners: dict[bytes, tuple[Key, int]] = {}
        wanted: list[Checked] = []
        slots: list[int | StadskamerError | None] = []
        again: set[int] = set()
        for index, (key, subject) in enumerate(zip(keys, subjects, strict=True)):
            if subject is not None and self._subjects.claimed_here(subject):
                again.add(index)
            if subject is None or index in again:
                slots.append(None)
                continue
            owner = owners.setdefault(subject.use_key, (key, len(wanted)))
            if owner[0] != key:
                slots.append(_reused("subject"))
                continue
            if owner[1] == len(wanted):
                wanted.append(subject)
            slots.append(owner[1])
        if again:
            stored = self._stored_keys([keys[i] for i in again])
            for index in again:
                if keys[index] not in stored:
                    slots[index] = _spent()
        claimed = self._claim(keys, wanted)
        prepared: list[Prepared | StadskamerError] = []
        for index, slot in enumerate(slots):
            if isinstance(slot, StadskamerError):
                prepared.append(slot)
                continue
            claim = claimed[slot] if slot is not None and claimed is not None else None
            answered = claimed is None or index in again
            prepared.append(
                self._prepared(drafts[index], digests[index], claim, records[index], answered)
            )
        return prepared

    def _claim(self, keys: Sequence[Key], wanted: Sequence[Checked]) -> list[Claimed] | None:
        """The claims of ``wanted``; None when they were refused because every request of
        ``keys`` is stored already (a retry that sent the same subjects again)."""
        try:
            return self._subjects.claim(wanted)
        except PermissionDenied:
            if len(self._stored_keys(keys)) < len(set(keys)):
                raise
            return None

    def _stored_keys(self, keys: Sequence[Key]) -> set[Key]:
        """Those of ``keys`` whose requests are stored."""
        with self._unit_of_work() as uow:
            return set(ContactRepository(uow.session).by_keys(keys))

    def _prepared(
        self,
        draft: Draft,
        digest: bytes,
        claim: Claimed | None,
        record: ProcessingRecord | None,
        answered: bool,
    ) -> Prepared:
        contact_id = contact_id_of(digest)
        sealed = (
            self._cipher.seal(draft.domain, contact_id, draft.summary) if draft.summary else None
        )
        if claim is None:
            return Prepared(draft, digest, contact_id, None, sealed, record, answered=answered)
        return Prepared(
            draft,
            digest,
            contact_id,
            claim.pseudonym,
            sealed,
            record,
            claim.audit_subject,
            claim.reference,
        )

    def _record(self, caller: Principal, draft: Draft, digest: bytes) -> ProcessingRecord | None:
        """The processing record of registering ``draft``, in the caller's trace (its subject
        is added once claimed); its id is derived from the request's digest."""
        if self._records is None:
            return None
        domain = draft.domain
        return ProcessingRecord.now(
            "contacts.register",
            "OK",
            self._clock,
            record_id=record_id(digest),
            actor=caller.subject,
            requester_domain=domain,
            target_domain=domain,
            reference=f"contacts/{contact_id_of(digest)}",
        )


def _spent() -> PermissionDenied:
    return PermissionDenied("this tagged pseudonym has been used already", "TAG_SPENT")


def _reused(field: str) -> InvalidArgument:
    return InvalidArgument.for_field(
        field, "the same tagged pseudonym is given for another request", "SUBJECT_REUSED"
    )
