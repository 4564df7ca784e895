"""Use cases of the consent register: give, read, list and withdraw consents.

Every use case takes the caller's :class:`Principal`. The subject arrives as a polymorphic
pseudonym (or, with ``subject_domain``, as that domain's encrypted pseudonym) and is converted
to the consent-domain pseudonym first (the pseudonym service unreachable → UNAVAILABLE,
nothing written); only that pseudonym is stored, and the request_id only as its keyed digest
(:mod:`stadskamer.common.request_ids`). The processing log record is appended before the
commit, so a failed log write leaves nothing done.

Roles: ``agent``, ``system`` (the citizen's self-service front end) and ``service`` may give
and withdraw consents; ``agent``, ``privacy-officer`` and ``system`` may read and list them.
A list answers per the caller's domains: only consents whose purpose version lists one of
them; the ``privacy-officer`` (oversight) sees every consent of the citizen.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from stadskamer.client import DomainKey
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
from stadskamer.consent.ports import SubjectResolver
from stadskamer.consent.receipts import PublishedKey, ReceiptSigner

RECORDERS = ("agent", "system", "service")
READERS = ("agent", "privacy-officer", "system")
OVERSIGHT = "privacy-officer"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_PAGE_TOKEN = re.compile(r"^v1:(\d{1,18})$")


@dataclass(frozen=True)
class GrantCommand:
    """A consent to record; ``subject`` is the polymorphic pseudonym (96 bytes), or the
    encrypted pseudonym of ``subject_domain`` when that is set."""

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
    resolver: SubjectResolver
    unit_of_work: Callable[[], UnitOfWork]
    receipts: ReceiptSigner
    processing_log: ProcessingLog
    clock: Callable[[], datetime]
    request_digest: RequestDigest
    subject_key: DomainKey | None = None

    def log(self, name: str, status: str, caller: Principal, **fields: str) -> None:
        """Append a processing record (UNAVAILABLE if it cannot be made durable).

        A ``subject`` (the consent-domain pseudonym in hex) is also sent freshly encrypted
        under the consent domain's key, so the audit service can file it under the citizen.
        """
        subject: dict[str, Any] = {}
        if fields.get("subject") and self.subject_key is not None:
            from stadskamer.client import encrypt_pseudonym  # type: ignore[attr-defined]  # removed: moves next

            pseudonym = bytes.fromhex(fields["subject"])
            from stadskamer.client import encrypt_pseudonym  # type: ignore[attr-defined]  # removed: moves next

            subject = {
                "subject_encrypted": encrypt_pseudonym(pseudonym, self.subject_key),
                "subject_domain": self.subject_key.domain,
            }
        self.processing_log.append(
            ProcessingRecord.now(
                name, status, self.clock, actor=caller.subject, **fields, **subject
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
        if command.subject_domain:
            _check_subject_domain(caller, command.subject_domain, purpose.domains)
        subject = parts.resolver.consent_pseudonym(command.subject, command.subject_domain)
        consent = Consent(
            id=uuid.uuid4().hex,
            subject=subject,
            purpose=purpose.id,
            purpose_version=purpose.version,
            notice_hash=purpose.notice_hash,
            capture=capture,
            recorded_by=caller.subject,
            given_at=now,
            expires_at=command.expires_at,
        )
        consent = replace(consent, receipt=parts.receipts.sign(consent, purpose, now))
        fields = {
            "purpose": purpose.id,
            "legal_basis": purpose.legal_basis,
            "subject": subject.hex(),
        }
        digest = parts.request_digest(command.request_id)
        try:
            with parts.unit_of_work() as uow:
                repository = ConsentRepository(uow.session)
                if repository.by_request_digest(digest) is None:
                    repository.add(consent, digest)
                    parts.log("consent.grant", "OK", caller, reference=consent.name, **fields)
                    uow.commit()
                    return consent
        except DuplicateRequest:
            pass  # written concurrently by a retry of the same request: answer as a replay
        first = self._by_request_digest(digest)
        if not _same_request(first, consent):
            raise FailedPrecondition(
                "this request_id was used for a different consent", "REQUEST_ID_REUSED"
            )
        parts.log("consent.grant", "REPLAYED", caller, reference=first.name, **fields)
        return first

    def get(self, caller: Principal, name: str) -> Consent:
        """One consent by name."""
        caller.require_role(*READERS)
        consent = self._get(consent_id(name))
        self._parts.log(
            "consent.read",
            "OK",
            caller,
            purpose=consent.purpose,
            reference=consent.name,
            subject=consent.subject.hex(),
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
            receipt = parts.receipts.sign(withdrawn, purpose, now)
            withdrawn = replace(withdrawn, withdrawal_receipt=receipt)
            if not repository.withdraw(withdrawn):
                raise FailedPrecondition("the consent is already withdrawn", "ALREADY_WITHDRAWN")
            parts.log(
                "consent.withdraw",
                "OK",
                caller,
                purpose=consent.purpose,
                legal_basis=purpose.legal_basis,
                reference=consent.name,
                subject=consent.subject.hex(),
            )
            uow.commit()
        return withdrawn

    def list(
        self, caller: Principal, subject: bytes, page_size: int, page_token: str
    ) -> tuple[list[Consent], str]:
        """A page of the subject's consents that the caller may see (see the module
        docstring), oldest first, and the next page token."""
        caller.require_role(*READERS)
        if page_size < 0:
            raise InvalidArgument.for_field("page_size", "must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = _page_position(page_token)
        parts = self._parts
        visible = None
        if OVERSIGHT not in caller.roles:
            visible = parts.catalogue.versions_listing(caller.domains)
        pseudonym = parts.resolver.consent_pseudonym(subject)
        with parts.unit_of_work() as uow:
            rows = ConsentRepository(uow.session).page(pseudonym, after, size + 1, visible)
        parts.log("consent.list", "OK", caller, subject=pseudonym.hex())
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


def _check_subject_domain(caller: Principal, domain: str, domains: Iterable[str]) -> None:
    """A subject given as another domain's pseudonym: a domain of the purpose, and the caller's."""
    if domain not in domains:
        raise InvalidArgument.for_field("subject_domain", "not a domain of the purpose")
    caller.require_domain(domain)


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
