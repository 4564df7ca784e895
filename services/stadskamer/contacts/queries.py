"""Reading the contact register: one contact, filtered pages, and topic signals.

A caller sees only contacts of the domains in its token that this service serves, or one
citizen's contacts of another domain under a link grant (:mod:`stadskamer.contacts.granted`).
Filtering by subject takes a tagged pseudonym of the queried domain, which is claimed (once)
for the domain pseudonym to filter on. Every read leaves one processing record before its
answer leaves: naming the citizen (the claim's record subject, or one made from the stored
reference of the contact read), or for a page without a subject filter the number of
citizens on it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from stadskamer.common import paging
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import InvalidArgument, NotFound, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.record_keeping import RecordKeeper
from stadskamer.contacts.adapters.repository import (
    ContactFilter,
    ContactRepository,
    Cursor,
    StoredContact,
    to_us,
)
from stadskamer.contacts.domain import Channel, Contact, ContactPolicy
from stadskamer.contacts.granted import GrantedReads
from stadskamer.contacts.service import Clock, utc_now
from stadskamer.contacts.signals import Bucket, Period, TopicSignal, plan_period, topic_signals
from stadskamer.contacts.storing import open_summary
from stadskamer.contacts.subjects import Checked, Subjects
from stadskamer.contacts.summaries import SummaryCipher

READ_ROLES = ("agent", "coordinator", "analyst", "system", "service")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class ListQuery:
    """The filters and paging of ListContacts; empty values mean "any"."""

    domain: str = ""
    subject: bytes = b""
    channel: int = 0
    topic: str = ""
    org_unit: str = ""
    start: datetime | None = None
    end: datetime | None = None
    page_size: int = 0
    page_token: str = ""
    encrypted_subject: bytes = b""
    link_grant: str = ""

    def fingerprint(self) -> str:
        """What a page token is bound to: every filter but the paging and the subject's bytes,
        which differ on every page (each call claims a fresh tagged pseudonym)."""
        return paging.fingerprint(
            self.domain,
            "subject" if self.subject else "granted" if self.encrypted_subject else "",
            self.channel,
            self.topic,
            self.org_unit,
            to_us(self.start) if self.start else None,
            to_us(self.end) if self.end else None,
        )


@dataclass(frozen=True)
class ContactPage:
    """One page of contacts and the token of the next (empty on the last)."""

    contacts: list[Contact]
    next_page_token: str


@dataclass(frozen=True)
class TopicReport:
    """The topic signals of a domain over a period."""

    domain: str
    period: Period
    topics: list[TopicSignal]


@dataclass(frozen=True)
class _Citizen:
    """The citizen a page is filtered on: the domain pseudonym, the record's subject, and
    the link grant it was read under (if any)."""

    pseudonym: bytes
    audit_subject: bytes
    grant: LinkGrant | None = None


class ContactQueries:
    """The read use cases of the contact register."""

    def __init__(
        self,
        policy: ContactPolicy,
        subjects: Subjects,
        cipher: SummaryCipher,
        unit_of_work: Callable[[], UnitOfWork],
        clock: Clock = utc_now,
        granted: GrantedReads | None = None,
        records: RecordKeeper | None = None,
        write_guard: AbstractContextManager[object] | None = None,
    ) -> None:
        self._records = records
        self._write_guard = write_guard or nullcontext()
        self._granted = granted
        self._policy = policy
        self._subjects = subjects
        self._cipher = cipher
        self._unit_of_work = unit_of_work
        self._clock = clock

    def get(self, caller: Principal, contact_id: str) -> Contact:
        """One contact of one of the caller's domains; NOT_FOUND for any other."""
        caller.require_role(*READ_ROLES)
        self._ensure_open()
        with self._unit_of_work() as uow:
            stored = ContactRepository(uow.session).get(contact_id)
        if stored is None or stored.contact.domain not in self._visible(caller):
            raise NotFound("no such contact", "CONTACT_NOT_FOUND")
        subject = self._subjects.report(stored.reference, self._clock())
        domain = stored.contact.domain
        self._record(caller, domain, f"contacts/{contact_id}", _Citizen(b"", subject))
        return open_summary(self._cipher, stored)

    def list(self, caller: Principal, query: ListQuery) -> ContactPage:
        """A page of contacts, newest first."""
        caller.require_role(*READ_ROLES)
        if query.start and query.end and query.start >= query.end:
            raise InvalidArgument.for_field("start_time", "must lie before end_time")
        if query.encrypted_subject and not query.link_grant:
            raise InvalidArgument.for_field(
                "link_grant", "required with encrypted_subject", "LINK_GRANT_INCOMPLETE"
            )
        fingerprint = query.fingerprint()
        after = _cursor(paging.decode(query.page_token, fingerprint)) if query.page_token else None
        size = min(query.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        self._ensure_open()
        domains, citizen = self._citizen(caller, query)
        where = ContactFilter(
            domains=domains,
            subjects={domains[0]: citizen.pseudonym} if citizen is not None else None,
            channel=Channel(query.channel) if query.channel else None,
            topic=query.topic,
            org_unit=query.org_unit,
            start=query.start,
            end=query.end,
        )
        with self._unit_of_work() as uow:
            found = ContactRepository(uow.session).page(where, after, size + 1)
        token = ""
        if len(found) > size:
            last = found[size - 1].contact
            token = paging.encode(fingerprint, (to_us(last.occurred_at), last.id))
        page = found[:size]
        target = ",".join(domains)
        if citizen is None:
            self._record(caller, target, f"citizens={_citizens(page)}")
        else:
            self._record(caller, target, str(len(page)), citizen)
        return ContactPage([open_summary(self._cipher, s) for s in page], token)

    def topic_signals(
        self,
        caller: Principal,
        domain: str,
        start: datetime | None,
        end: datetime | None,
        bucket: Bucket,
    ) -> TopicReport:
        """Per topic of ``domain``: counts per bucket, shares, channel mix, rising flag."""
        caller.require_role(*READ_ROLES)
        self._policy.require_served(domain)
        caller.require_domain(domain)
        period = plan_period(start, end, bucket, self._clock())
        with self._unit_of_work() as uow:
            rows = ContactRepository(uow.session).topic_counts(
                domain, period.start, bucket.width, period.count
            )
        return TopicReport(domain, period, topic_signals(rows, period.count))

    def _visible(self, caller: Principal) -> tuple[str, ...]:
        return tuple(d for d in self._policy.domains if d in caller.domains)

    def _domains(self, caller: Principal, domain: str) -> tuple[str, ...]:
        if domain:
            self._policy.require_served(domain)
            caller.require_domain(domain)
            return (domain,)
        visible = self._visible(caller)
        if not visible:
            raise PermissionDenied(
                "the caller acts for none of the domains served here", "NO_SERVED_DOMAIN"
            )
        return visible

    def _citizen(
        self, caller: Principal, query: ListQuery
    ) -> tuple[tuple[str, ...], _Citizen | None]:
        """The domains to read and the citizen to filter on (claimed), if any."""
        if query.link_grant:
            return self._granted_citizen(caller, query)
        if not query.subject:
            return self._domains(caller, query.domain), None
        tag = self._subjects.verify(query.subject, "subject")
        domain = query.domain or tag.audience
        domains = self._domains(caller, domain)
        citizen = self._claimed(self._subjects.issued(query.subject, tag, domain, "subject"))
        return domains, citizen

    def _granted_citizen(
        self, caller: Principal, query: ListQuery
    ) -> tuple[tuple[str, ...], _Citizen]:
        """The one domain and citizen a link grant opens to a caller who does not act for it."""
        if not query.domain or not query.encrypted_subject:
            raise InvalidArgument.for_field(
                "link_grant", "needs domain and encrypted_subject", "LINK_GRANT_INCOMPLETE"
            )
        self._policy.require_served(query.domain)
        if self._granted is None:
            raise PermissionDenied(
                "this service does not honour link grants", "LINK_GRANT_NOT_TRUSTED"
            )
        grant, checked = self._granted.open(
            caller, query.domain, query.encrypted_subject, query.link_grant
        )
        citizen = self._claimed(checked)
        return (query.domain,), _Citizen(citizen.pseudonym, citizen.audit_subject, grant)

    def _claimed(self, checked: Checked) -> _Citizen:
        claimed = self._subjects.claim([checked])[0]
        return _Citizen(claimed.pseudonym, claimed.audit_subject)

    def _ensure_open(self) -> None:
        """Refuse (UNAVAILABLE) before reading when records cannot reach the processing log."""
        if self._records is not None:
            self._records.ensure_open()

    def _record(
        self, caller: Principal, domain: str, reference: str, citizen: _Citizen | None = None
    ) -> None:
        """A read, recorded before the answer leaves: of one citizen (``citizen``: its record
        subject, and the grant it was read under) or of ``reference`` alone. The record is
        committed in a transaction of its own, after the read."""
        if self._records is None:
            return
        grant = citizen.grant if citizen is not None else None
        fields = {
            "actor": caller.subject,
            "requester_domain": ",".join(sorted(caller.domains))[:255],
            "target_domain": domain[:255],
            "reference": reference,
            "subject_tagged": citizen.audit_subject if citizen is not None else b"",
        }
        if grant is not None:
            fields.update(
                requester_domain=grant.requester_domain,
                purpose=grant.purpose,
                basis=grant.basis,
                reference=f"link-grants/{grant.grant_id}",
            )
        record = ProcessingRecord.now("contacts.read", "OK", self._clock, **fields)
        with self._write_guard, self._unit_of_work() as uow:
            self._records.keep(uow.session, [record])
            uow.commit()
        self._records.committed()


def _citizens(page: list[StoredContact]) -> int:
    """How many citizens a page holds contacts of (a pseudonym per domain counts once)."""
    return len({(s.contact.domain, s.contact.subject) for s in page if s.contact.subject})


def _cursor(position: paging.Position) -> Cursor:
    """The keyset cursor in a decoded page token (occurred_at in µs, contact id)."""
    return Cursor(position[0], str(position[1]))
