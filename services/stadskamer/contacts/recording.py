"""The processing records of registrations: one per request, durable before the commit.

Recorded outside the write transaction, so no registration waits for another's record. The
record id is derived from (domain, request_id): when the log already holds it, an earlier
attempt of that request was recorded, and it is not recorded again. A batch with such a
request is recorded again without the requests stored already (a repeated import), and item
by item only when one was recorded but never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from stadskamer.common.processing_log import (
    ProcessingLog,
    ProcessingRecord,
    RecordIdTaken,
    append_all,
)
from stadskamer.contacts.ports import AUDIT_DOMAIN
from stadskamer.contacts.request_ids import record_id

Key = tuple[str, str]


@dataclass(frozen=True)
class Registration:
    """What the record of one registration request names."""

    domain: str
    request_id: str
    contact_id: str
    audit_subject: bytes

    @property
    def key(self) -> Key:
        """The request's idempotency key, (domain, request_id)."""
        return (self.domain, self.request_id)


class RegistrationRecords:
    """Records registrations in the processing log, each request once (fail-closed)."""

    def __init__(
        self,
        log: ProcessingLog,
        clock: Callable[[], datetime],
        stored: Callable[[Sequence[Key]], Collection[Key]],
    ) -> None:
        self._log = log
        self._clock = clock
        self._stored = stored

    def record(self, actor: str, registrations: Sequence[Registration]) -> None:
        """Append the records of requests not recorded before; raises as the log does."""
        unique = list({r.key: r for r in registrations}.values())
        if not unique:
            return
        try:
            append_all(self._log, [self._record(actor, r) for r in unique])
            return
        except RecordIdTaken:
            if len(unique) == 1:
                return
        stored = set(self._stored([r.key for r in unique]))
        fresh = [r for r in unique if r.key not in stored]
        if not fresh:
            return
        try:
            append_all(self._log, [self._record(actor, r) for r in fresh])
        except RecordIdTaken:
            for registration in fresh:
                try:
                    self._log.append(self._record(actor, registration))
                except RecordIdTaken:
                    continue

    def _record(self, actor: str, registration: Registration) -> ProcessingRecord:
        return ProcessingRecord.now(
            "contacts.register",
            "OK",
            self._clock,
            record_id=record_id(registration.domain, registration.request_id),
            actor=actor,
            requester_domain=registration.domain,
            target_domain=registration.domain,
            reference=f"contacts/{registration.contact_id}",
            subject_encrypted=registration.audit_subject,
            subject_domain=AUDIT_DOMAIN if registration.audit_subject else "",
        )
