"""Registering contacts: validate, authorise, pseudonymise, then store in one transaction.

The record keeper is asked first whether records can reach the processing log at all: when
not, nothing is converted or written (UNAVAILABLE). The conversion of the polymorphic
pseudonym happens before the transaction opens, so a pseudonym service that cannot be
reached leaves nothing written. Storing, with the contact's event and processing record in
the same transaction, is :mod:`stadskamer.contacts.storing`.

Single registrations that arrive together are combined (:mod:`stadskamer.common.combining`):
one conversion call and one transaction for all of them, while each caller still gets its own
answer: a subject the pseudonym service refuses fails only its own registration, anything else
that fails a combined batch (but a dependency that is down) is narrowed by the combiner to the
registration that causes it, and each processing record carries its own caller and trace.
``BatchRegisterContacts`` stays all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from stadskamer.common.auth import Principal
from stadskamer.common.combining import Combiner
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import FieldViolation, InvalidArgument, Unavailable
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.record_keeping import RecordKeeper
from stadskamer.contacts.adapters.repository import DuplicateRequest
from stadskamer.contacts.domain import Contact, ContactPolicy, Draft
from stadskamer.contacts.ports import ContactEvents, PseudonymPort, RejectedPseudonym
from stadskamer.contacts.request_ids import RequestKeys, contact_id_of, record_id
from stadskamer.contacts.storing import ContactStore, Prepared
from stadskamer.contacts.summaries import SummaryCipher

MAX_BATCH = 1000
WRITE_ROLES = ("agent", "system", "service")
_ATTEMPTS = 3

Clock = Callable[[], datetime]


def convert(
    pseudonyms: PseudonymPort, items: Sequence[tuple[bytes, str]], with_record: bool
) -> list[tuple[bytes, bytes]]:
    """Per (polymorphic pseudonym, domain) the domain pseudonym and, when ``with_record``, the
    processing record's subject (that pseudonym encrypted under the domain key; else empty),
    in one call to the pseudonym service."""
    if with_record:
        return pseudonyms.with_record_subjects(items)
    return [(pseudonym, b"") for pseudonym in pseudonyms.domain_pseudonyms(items)]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _rejected(field: str, reason: str) -> InvalidArgument:
    return InvalidArgument.for_field(
        field, "not a polymorphic pseudonym of this deployment", reason
    )


@dataclass(frozen=True)
class _Submission:
    """One admitted RegisterContact, waiting to be combined with others."""

    draft: Draft
    digest: bytes
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
        pseudonyms: PseudonymPort,
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
        self._pseudonyms = pseudonyms
        self._cipher = cipher
        self._request_keys = request_keys
        self._clock = clock
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
        return self._combiner.submit(
            _Submission(draft, digest, self._record(caller, draft, digest), now)
        )

    def register_batch(self, caller: Principal, drafts: Sequence[Draft]) -> list[Contact]:
        """Register up to 1000 contacts, all or nothing, each idempotent on its request_id."""
        if not drafts or len(drafts) > MAX_BATCH:
            raise InvalidArgument.for_field("requests", f"give 1 to {MAX_BATCH} contacts")
        now = self._clock()
        self._admit(caller, drafts, now, "requests[{}].")
        digests = [self._digest(draft) for draft in drafts]
        records = [
            self._record(caller, d, digest) for d, digest in zip(drafts, digests, strict=True)
        ]
        try:
            prepared = self._prepare(drafts, digests, records)
        except RejectedPseudonym as error:
            raise _rejected(f"requests[{error.index}].subject", error.reason) from None
        return self._stored(prepared, now)

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

    def _combined(self, submissions: Sequence[_Submission]) -> list[Contact | BaseException]:
        """Registrations that arrived together: one conversion, one transaction. A refused
        subject is its registration's outcome; any other failure raises, and the combiner
        runs the registrations again in smaller batches to find the one that causes it."""
        outcomes: dict[int, Contact | BaseException] = {}
        pending = list(range(len(submissions)))
        prepared: list[Prepared] = []
        while pending:
            try:
                prepared = self._prepare(
                    [submissions[i].draft for i in pending],
                    [submissions[i].digest for i in pending],
                    [submissions[i].record for i in pending],
                )
                break
            except RejectedPseudonym as error:
                outcomes[pending.pop(error.index)] = _rejected("subject", error.reason)
        if pending:
            stored = self._stored(prepared, max(submissions[i].now for i in pending))
            outcomes.update(zip(pending, stored, strict=True))
        return [outcomes[i] for i in range(len(submissions))]

    def _stored(self, prepared: Sequence[Prepared], now: datetime) -> list[Contact]:
        """Store, answering a request stored meanwhile by another attempt from the store."""
        for attempt in range(_ATTEMPTS):
            try:
                return self._store.store(prepared, now, lookup=attempt > 0 or len(prepared) > 1)
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
        records: Sequence[ProcessingRecord | None],
    ) -> list[Prepared]:
        """Convert the subjects (one call) and seal the summaries; raises
        :class:`RejectedPseudonym` naming the index in ``drafts`` of a refused subject."""
        positions = [i for i, d in enumerate(drafts) if d.subject]
        items = [(drafts[i].subject, drafts[i].domain) for i in positions]
        try:
            converted = convert(self._pseudonyms, items, self._records is not None)
        except RejectedPseudonym as error:
            raise RejectedPseudonym(positions[error.index], error.reason) from None
        found = dict(zip(positions, converted, strict=True))
        prepared = []
        for index, (draft, digest) in enumerate(zip(drafts, digests, strict=True)):
            contact_id = contact_id_of(digest)
            sealed = (
                self._cipher.seal(draft.domain, contact_id, draft.summary)
                if draft.summary
                else None
            )
            pseudonym, subject = found.get(index, (None, b""))
            prepared.append(
                Prepared(draft, digest, contact_id, pseudonym, sealed, records[index], subject)
            )
        return prepared

    def _record(self, caller: Principal, draft: Draft, digest: bytes) -> ProcessingRecord | None:
        """The processing record of registering ``draft``, in the caller's trace (its subject
        is added once converted); its id is derived from the request's digest."""
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
