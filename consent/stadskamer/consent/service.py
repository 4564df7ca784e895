"""Use cases of the consent register: give, read, list and withdraw consents.

Every use case takes the caller's :class:`Principal`. The subject arrives as a tagged
pseudonym of one of the caller's domains and is converted and claimed into the consent domain
first (:mod:`stadskamer.consent.subjects`; the pseudonym service unreachable → UNAVAILABLE,
nothing written). Only the consent-domain pseudonym and the consent domain's stored reference
are stored, and the request_id only as its keyed digest (:mod:`stadskamer.common.request_ids`).
The processing log record, whose subject the pseudonym service made, is appended before the
commit, so a failed log write leaves nothing done.

Roles: ``agent``, ``system`` (the citizen's self-service front end) and ``service`` may give
and withdraw consents; ``agent``, ``privacy-officer`` and ``system`` may read and list them,
and a ``service`` may read one it holds the name of (e.g. surveys re-checking a panel
member's consent).
A list answers per the caller's domains: only consents whose purpose version lists one of
them; the ``privacy-officer`` (oversight) sees every consent of the citizen.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import FailedPrecondition, InvalidArgument, NotFound
from stadskamer.common.link_grants import b64url, from_b64url
from stadskamer.common.processing_log import ProcessingLog, ProcessingRecord
from stadskamer.common.request_ids import RequestDigest
from stadskamer.consent.adapters.repository import ConsentRepository, DuplicateRequest
from stadskamer.consent.catalogue import PurposeCatalogue
from stadskamer.consent.domain import (
    Capture,
    Consent,
    WithdrawalReason,
    check_capture,
    check_expiry,
    consent_id,
    grantable,
)
from stadskamer.consent.receipts import PublishedKey, ReceiptSigner
from stadskamer.consent.subjects import Subjects

RECORDERS = ("agent", "system", "service")
READERS = ("agent", "privacy-officer", "system")
NAME_READERS = (*READERS, "service")
OVERSIGHT = "privacy-officer"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_PAGE_TOKEN = re.compile(r"^v1:(\d{1,18})$")


@dataclass(frozen=True)
class GrantCommand:
    """A consent to record; ``subject`` is a tagged pseudonym of one of the caller's domains
    (``subject_domain``, when set, must be that domain)."""

    request_id: str
    subject: bytes
    purpose: str
    purpose_version: int
    capture: Capture
    expires_at: datetime | None = None
    subject_domain: str = ""


@dataclass(frozen=True)
class Collaborators:
    """What the use cases of the consent service share."""

    catalogue: PurposeCatalogue
    subjects: Subjects
    unit_of_work: Callable[[], UnitOfWork]
    receipts: ReceiptSigner
    processing_log: ProcessingLog
    clock: Callable[[], datetime]
    request_digest: RequestDigest

    def log(
        self, name: str, status: str, caller: Principal, subject: bytes = b"", **fields: str
    ) -> None:
        """Append a processing record (UNAVAILABLE if it cannot be made durable).

        ``subject`` is the record's subject as the pseudonym service made it (a tagged
        ``audit/consent`` pseudonym), or empty.
        """
        self.processing_log.append(
            ProcessingRecord.now(
                name, status, self.clock, actor=caller.subject, subject_tagged=subject, **fields
            )
        )


class ConsentService:
    """Give, read, list and withdraw consents."""

    def __init__(self, parts: Collaborators) -> None:
        self._parts = parts

    @property
    def catalogue(self) -> PurposeCatalogue:
        """The purpose catalogue (public: ``ListPurposes``)."""
        return self._parts.catalogue

    def now(self) -> datetime:
        """The service's clock (states are computed at this time)."""
        return self._parts.clock()

    def receipt_key(self) -> PublishedKey:
        """The public key that verifies receipts and link grants (public: ``GetReceiptKey``)."""
        return self._parts.receipts.published_key()

    def grant(self, caller: Principal, command: GrantCommand) -> Consent:
        """Record a consent; a retry with the same request id returns the first result."""
        caller.require_role(*RECORDERS)
        parts = self._parts
        now = parts.clock()
        purpose = grantable(parts.catalogue, command.purpose, command.purpose_version)
        capture = check_capture(command.capture, caller.subject, caller.roles)
        check_expiry(command.expires_at, now)
        tag = parts.subjects.verified(command.subject, caller.domains)
        check_subject_domain(command.subject_domain, tag.audience)
        if tag.audience not in purpose.domains:
            raise InvalidArgument.for_field(
                "subject", "a pseudonym of a domain of the purpose", "WRONG_AUDIENCE"
            )
        subject = parts.subjects.converted(command.subject, tag)
        consent = Consent(
            id=uuid.uuid4().hex,
            subject=subject.pseudonym,
            reference=subject.reference,
            purpose=purpose.id,
            purpose_version=purpose.version,
            notice_hash=purpose.notice_hash,
            capture=capture,
            recorded_by=caller.subject,
            given_at=now,
            expires_at=command.expires_at,
        )
        consent = replace(consent, receipt=parts.receipts.sign(consent, purpose, now))
        fields = {"purpose": purpose.id, "legal_basis": purpose.legal_basis}
        record_subject = subject.record_subject
        digest = parts.request_digest(command.request_id)
        try:
            with parts.unit_of_work() as uow:
                repository = ConsentRepository(uow.session)
                if repository.by_request_digest(digest) is None:
                    repository.add(consent, digest)
                    parts.log(
                        "consent.grant",
                        "OK",
                        caller,
                        record_subject,
                        reference=consent.name,
                        **fields,
                    )
                    uow.commit()
                    return consent
        except DuplicateRequest:
            pass  # written concurrently by a retry of the same request: answer as a replay
        first = self._by_request_digest(digest)
        if not _same_request(first, consent):
            raise FailedPrecondition(
                "this request_id was used for a different consent", "REQUEST_ID_REUSED"
            )
        parts.log(
            "consent.grant", "REPLAYED", caller, record_subject, reference=first.name, **fields
        )
        return first

    def get(self, caller: Principal, name: str) -> Consent:
        """One consent by name."""
        caller.require_role(*NAME_READERS)
        consent = self._get(consent_id(name))
        self._parts.log(
            "consent.read",
            "OK",
            caller,
            self._parts.subjects.record_subject(consent.reference),
            purpose=consent.purpose,
            reference=consent.name,
        )
        return consent

    def withdraw(self, caller: Principal, name: str, reason: WithdrawalReason) -> Consent:
        """Withdraw a consent now; FAILED_PRECONDITION if it was withdrawn before."""
        caller.require_role(*RECORDERS)
        identifier = consent_id(name)
        parts = self._parts
        now = parts.clock()
        with parts.unit_of_work() as uow:
            repository = ConsentRepository(uow.session)
            consent = repository.get(identifier)
            if consent is None:
                raise NotFound("no such consent", "CONSENT_NOT_FOUND")
            withdrawn = consent.withdraw(now, reason, caller.subject)
            purpose = parts.catalogue.version_of(consent.purpose, consent.purpose_version)
            record_subject = parts.subjects.record_subject(consent.reference)
            receipt = parts.receipts.sign(withdrawn, purpose, now)
            withdrawn = replace(withdrawn, withdrawal_receipt=receipt)
            if not repository.withdraw(withdrawn):
                raise FailedPrecondition("the consent is already withdrawn", "ALREADY_WITHDRAWN")
            parts.log(
                "consent.withdraw",
                "OK",
                caller,
                record_subject,
                purpose=consent.purpose,
                legal_basis=purpose.legal_basis,
                reference=consent.name,
            )
            uow.commit()
        return withdrawn

    def list(
        self, caller: Principal, subject: bytes, page_size: int, page_token: str
    ) -> tuple[list[Consent], str]:
        """A page of the subject's consents that the caller may see (see the module
        docstring), oldest first, and the next page token.

        ``subject`` is a tagged pseudonym of one of the caller's domains.
        """
        caller.require_role(*READERS)
        if page_size < 0:
            raise InvalidArgument.for_field("page_size", "must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = _page_position(page_token)
        parts = self._parts
        visible = None
        if OVERSIGHT not in caller.roles:
            visible = parts.catalogue.versions_listing(caller.domains)
        tag = parts.subjects.verified(subject, caller.domains)
        resolved = parts.subjects.converted(subject, tag)
        with parts.unit_of_work() as uow:
            rows = ConsentRepository(uow.session).page(resolved.pseudonym, after, size + 1, visible)
        parts.log("consent.list", "OK", caller, resolved.record_subject)
        page = rows[:size]
        next_token = b64url(f"v1:{page[-1][0]}".encode()) if len(rows) > size else ""
        return [consent for _, consent in page], next_token

    def _get(self, identifier: str) -> Consent:
        with self._parts.unit_of_work() as uow:
            consent = ConsentRepository(uow.session).get(identifier)
        if consent is None:
            raise NotFound("no such consent", "CONSENT_NOT_FOUND")
        return consent

    def _by_request_digest(self, digest: bytes) -> Consent:
        with self._parts.unit_of_work() as uow:
            consent = ConsentRepository(uow.session).by_request_digest(digest)
        if consent is None:
            raise NotFound("no such consent", "CONSENT_NOT_FOUND")
        return consent


def check_subject_domain(subject_domain: str, audience: str) -> None:
    """``subject_domain`` is redundant now that the tag names its audience: empty, or that."""
    if subject_domain and subject_domain != audience:
        raise InvalidArgument.for_field(
            "subject_domain", "must be empty or the audience of the subject's tag"
        )


def _same_request(first: Consent, retry: Consent) -> bool:
    return (first.subject, first.purpose, first.purpose_version, first.capture) == (
        retry.subject,
        retry.purpose,
        retry.purpose_version,
        retry.capture,
    ) and first.expires_at == retry.expires_at


def _page_position(token: str) -> int:
    if not token:
        return 0
    try:
        match = _PAGE_TOKEN.match(from_b64url(token).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        match = None
    if match is None:
        raise InvalidArgument.for_field("page_token", "not a token from a previous page")
    return int(match.group(1))
