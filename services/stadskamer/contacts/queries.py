"""Reading the contact register: one contact, filtered pages, and topic signals.

A caller sees only contacts of the domains in its token that this service serves. Filtering
by subject converts the given polymorphic pseudonym to the pseudonym of each domain queried.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadskamer.common import link_grants, paging
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import InvalidArgument, NotFound, PermissionDenied
from stadskamer.common.processing_log import ProcessingRecord, rerandomized
from stadskamer.common.record_keeping import RecordKeeper
from stadskamer.contacts.adapters.repository import ContactFilter, ContactRepository, Cursor, to_us
from stadskamer.contacts.domain import Channel, Contact, ContactPolicy
from stadskamer.contacts.ports import PseudonymPort, RejectedPseudonym
from stadskamer.contacts.service import Clock, convert, utc_now
from stadskamer.contacts.signals import Bucket, Period, TopicSignal, plan_period, topic_signals
from stadskamer.contacts.storing import open_summary
from stadskamer.contacts.summaries import SummaryCipher

READ_ROLES = ("agent", "coordinator", "analyst", "system", "service")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
NOBODY = (b"", "")  # a processing record without a citizen


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
        """What a page token is bound to: every filter, not the paging."""
        return paging.fingerprint(
            self.domain,
            self.subject + self.encrypted_subject,
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


class ContactQueries:
    """The read use cases of the contact register."""

    def __init__(
        self,
        policy: ContactPolicy,
        pseudonyms: PseudonymPort,
        cipher: SummaryCipher,
        unit_of_work: Callable[[], UnitOfWork],
        clock: Clock = utc_now,
        grant_key: Ed25519PublicKey | None = None,
        records: RecordKeeper | None = None,
        write_guard: AbstractContextManager[object] | None = None,
    ) -> None:
        self._records = records
        self._write_guard = write_guard or nullcontext()
        self._grant_key = grant_key
        self._policy = policy
        self._pseudonyms = pseudonyms
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
        self._record(caller, stored.contact.domain, f"contacts/{contact_id}")
        return open_summary(self._cipher, stored)

    def list(self, caller: Principal, query: ListQuery) -> ContactPage:
        """A page of contacts, newest first."""
        caller.require_role(*READ_ROLES)
        if query.start and query.end and query.start >= query.end:
            raise InvalidArgument.for_field("start_time", "must lie before end_time")
        domains = (
            self._granted_domain(caller, query)
            if query.link_grant
            else self._domains(caller, query.domain)
        )
        fingerprint = query.fingerprint()
        self._ensure_open()
        after = _cursor(paging.decode(query.page_token, fingerprint)) if query.page_token else None
        size = min(query.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        subjects, record_subject = self._subject_filter(query, domains)
        where = ContactFilter(
            domains=domains,
            subjects=subjects,
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
        if subjects is not None:
            self._record(caller, ",".join(domains), str(len(found[:size])), record_subject)
        return ContactPage([open_summary(self._cipher, s) for s in found[:size]], token)

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

    def _ensure_open(self) -> None:
        """Refuse (UNAVAILABLE) before reading when records cannot reach the processing log."""
        if self._records is not None:
            self._records.ensure_open()

    def _record(
        self, caller: Principal, domain: str, reference: str, subject: tuple[bytes, str] = NOBODY
    ) -> None:
        """A read of (one citizen's) contacts, recorded before the answer leaves.

        ``subject`` is the citizen as a ciphertext and its domain: the pseudonym of the
        (first) listed domain encrypted afresh here, or the caller's encrypted pseudonym of the
        listed domain (rerandomized here).
        The record is committed in a transaction of its own, after the read.
        """
        if self._records is None:
            return
        record = ProcessingRecord.now(
            "contacts.read",
            "OK",
            self._clock,
            actor=caller.subject,
            requester_domain=",".join(sorted(caller.domains))[:255],
            target_domain=domain[:255],
            reference=reference,
            subject_encrypted=subject[0],
            subject_domain=subject[1],
        )
        with self._write_guard, self._unit_of_work() as uow:
            self._records.keep(uow.session, [record])
            uow.commit()
        self._records.committed()

    def _granted_domain(self, caller: Principal, query: ListQuery) -> tuple[str, ...]:
        """The one domain a link grant opens to a caller who does not act for it."""
        if not query.domain or not query.encrypted_subject:
            raise InvalidArgument.for_field(
                "link_grant", "needs domain and encrypted_subject", "LINK_GRANT_INCOMPLETE"
            )
        self._policy.require_served(query.domain)
        if self._grant_key is None:
            raise PermissionDenied(
                "this service does not honour link grants", "LINK_GRANT_NOT_TRUSTED"
            )
        grant = link_grants.verify(query.link_grant, self._grant_key, self._clock())
        if grant.target_domain != query.domain:
            raise PermissionDenied(
                "the link grant is for another domain", "LINK_GRANT_WRONG_TARGET"
            )
        if grant.requester_domain not in caller.domains:
            raise PermissionDenied(
                "the link grant was issued to another requester", "LINK_GRANT_WRONG_REQUESTER"
            )
        return (query.domain,)

    def _subject_filter(
        self, query: ListQuery, domains: tuple[str, ...]
    ) -> tuple[dict[str, bytes] | None, tuple[bytes, str]]:
        """The domain pseudonyms to filter on, and the citizen for the processing record."""
        if query.encrypted_subject:
            if len(domains) != 1:
                raise InvalidArgument.for_field("domain", "required with encrypted_subject")
            try:
                pseudonym = self._pseudonyms.decrypt(query.encrypted_subject, domains[0])
            except RejectedPseudonym as error:
                raise InvalidArgument.for_field(
                    "encrypted_subject", "not an encrypted pseudonym of this domain", error.reason
                ) from None
            return {domains[0]: pseudonym}, (rerandomized(query.encrypted_subject), domains[0])
        if not query.subject:
            return None, NOBODY
        return self._subjects(query.subject, domains)

    def _subjects(
        self, subject: bytes, domains: tuple[str, ...]
    ) -> tuple[dict[str, bytes], tuple[bytes, str]]:
        items = [(subject, d) for d in domains]
        try:
            converted = convert(self._pseudonyms, items, self._records is not None)
        except RejectedPseudonym as error:
            raise InvalidArgument.for_field(
                "subject", "not a polymorphic pseudonym of this deployment", error.reason
            ) from None
        pseudonyms = {d: p for d, (p, _) in zip(domains, converted, strict=True)}
        for_record = converted[0][1]
        return pseudonyms, (for_record, domains[0]) if for_record else NOBODY


def _cursor(position: paging.Position) -> Cursor:
    """The keyset cursor in a decoded page token (occurred_at in µs, contact id)."""
    return Cursor(position[0], str(position[1]))
