"""Use cases of the pseudonym service: the caller's identity in, domain objects out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadskamer import pep
from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import FieldViolation, InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.processing_log import ProcessingLog, ProcessingRecord
from stadskamer.common.telemetry import current_trace_ids
from stadskamer.pseudonyms.adapters.repository import (
    KeyIssuance,
    KeyIssuanceRepository,
    UsedGrantRepository,
)
from stadskamer.pseudonyms.domain import (
    DEFAULT_OVERSIGHT_DOMAINS,
    DEFAULT_REPORT_DOMAINS,
    OVERSIGHT,
    OWN_DOMAIN,
    REPORT,
    Transcryptor,
    authorize_conversion,
    parse_ciphertext,
)

MAX_BATCH = 1000
PARALLEL_CHUNK = 50  # smaller batches are converted on the calling thread
PRUNE_EVERY = timedelta(minutes=10)

REPORT_DOMAINS = frozenset(DEFAULT_REPORT_DOMAINS)
AUDIT_DOMAIN = "audit"


@dataclass(frozen=True)
class TranscryptCommand:
    """One conversion: exactly one of ``polymorphic`` and ``encrypted`` is set."""

    target_domain: str
    polymorphic: bytes | None = None
    encrypted: bytes | None = None
    source_domain: str = ""
    link_grant: str = ""


@dataclass(frozen=True)
class DomainKey:
    """A domain's key pair as handed to a service of that domain."""

    domain: str
    key_version: str
    secret_key: bytes
    public_key: bytes


class PseudonymService:
    """The transcryptor's use cases."""

    def __init__(
        self,
        transcryptor: Transcryptor,
        unit_of_work: Callable[[], UnitOfWork],
        processing_log: ProcessingLog,
        grant_key: Ed25519PublicKey | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        oversight_domains: frozenset[str] = frozenset(DEFAULT_OVERSIGHT_DOMAINS),
        workers: int = 2,
    ) -> None:
        self._workers = max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="rsk")
        self._transcryptor = transcryptor
        self._unit_of_work = unit_of_work
        self._processing_log = processing_log
        self._grant_key = grant_key
        self._clock = clock
        self._oversight_domains = oversight_domains
        self._last_prune = datetime.min.replace(tzinfo=UTC)

    @property
    def transcryptor(self) -> Transcryptor:
        """The transcryptor (for the catalogue and public keys)."""
        return self._transcryptor

    def transcrypt(self, caller: Principal, command: TranscryptCommand) -> pep.Ciphertext:
        """Convert one pseudonym for ``command.target_domain`` after checking the caller.

        A conversion between domains is honoured only with a valid, unused link grant; it is
        recorded in the processing log (fail-closed) before the result is returned.
        """
        transcryptor = self._transcryptor
        target = command.target_domain
        transcryptor.domain(target, "target_domain")
        if command.encrypted is not None:
            transcryptor.domain(command.source_domain, "source_domain")
            source: str | None = command.source_domain
            subject = command.encrypted
            pseudonym = parse_ciphertext(subject, "encrypted_pseudonym")
        elif command.polymorphic is not None:
            source, subject = None, command.polymorphic
            pseudonym = parse_ciphertext(subject, "polymorphic_pseudonym")
        else:
            raise InvalidArgument.for_field("source", "give a polymorphic or encrypted pseudonym")
        self._authorize(caller, command, source, subject)
        if source is None:
            return transcryptor.from_polymorphic(pseudonym, target)
        return transcryptor.between_domains(pseudonym, source, target)

    def _authorize(
        self, caller: Principal, command: TranscryptCommand, source: str | None, subject: bytes
    ) -> None:
        service = "service" in caller.roles
        oversight = self._oversight_domains if service else frozenset()
        report = REPORT_DOMAINS if service else frozenset()
        target = command.target_domain
        if not command.link_grant:
            authorize_conversion(caller.domains, source, target, None, subject, oversight, report)
            return
        try:
            grant = self._read_grant(command.link_grant)
            basis = authorize_conversion(
                caller.domains, source, target, grant, subject, oversight, report
            )
            if basis in (OWN_DOMAIN, OVERSIGHT, REPORT):
                return
            self._claim(grant)
        except PermissionDenied as refusal:
            self._record(caller, command, source, "DENIED", refusal.reason)
            raise
        self._record(caller, command, source, "OK", grant.grant_id, grant)

    def _read_grant(self, token: str) -> LinkGrant:
        if self._grant_key is None:
            raise PermissionDenied(
                "this deployment does not honour link grants", "LINK_GRANT_NOT_TRUSTED"
            )
        return link_grants.verify(token, self._grant_key, self._clock())

    def _claim(self, grant: LinkGrant) -> None:
        now = self._clock()
        with self._unit_of_work() as uow:
            grants = UsedGrantRepository(uow.session)
            if not grants.claim(grant.grant_id, grant.expires_at):
                raise PermissionDenied(
                    "the link grant has been used already", "LINK_GRANT_REPLAYED"
                )
            if now - self._last_prune > PRUNE_EVERY:
                grants.prune(now - PRUNE_EVERY)
                self._last_prune = now
            uow.commit()

    def _record(
        self,
        caller: Principal,
        command: TranscryptCommand,
        source: str | None,
        status: str,
        reference: str,
        grant: LinkGrant | None = None,
    ) -> None:
        """The conversion's processing record, about its subject, fail-closed.

        The subject goes to the audit service already converted into its domain (this
        service holds the factors), so the audit service needs no call back to do it.
        """
        subject, subject_domain = self._audit_subject(command, source)
        self._processing_log.append(
            ProcessingRecord.now(
                "pseudonyms.transcrypt",
                status,
                self._clock,
                actor=caller.subject,
                target_domain=command.target_domain,
                requester_domain=grant.requester_domain if grant else "",
                purpose=grant.purpose if grant else "",
                basis=grant.basis if grant else "",
                reference=reference,
                subject_polymorphic=subject if not subject_domain else b"",
                subject_encrypted=subject if subject_domain else b"",
                subject_domain=subject_domain,
            )
        )

    def _audit_subject(self, command: TranscryptCommand, source: str | None) -> tuple[bytes, str]:
        """The subject for the record: encrypted for the audit domain where this service can
        convert it; else (a malformed or foreign subject) the ciphertext as sent, rerandomized."""
        sent = pep.Ciphertext.from_bytes(command.encrypted or command.polymorphic or b"")
        try:
            if source is None:
                converted = self._transcryptor.from_polymorphic(sent, AUDIT_DOMAIN)
            else:
                converted = self._transcryptor.between_domains(sent, source, AUDIT_DOMAIN)
            return converted.to_bytes(), AUDIT_DOMAIN
        except (InvalidArgument, pep.InvalidEncodingError):
            return pep.rerandomize(sent).to_bytes(), source or ""

    def transcrypt_batch(
        self, caller: Principal, commands: Sequence[TranscryptCommand]
    ) -> list[pep.Ciphertext]:
        """Convert many; a refused item fails the whole batch, naming its index.

        Large batches are spread over the worker threads (libsodium runs without the GIL),
        so one batch uses every core; the result keeps the request order.
        """
        if len(commands) > MAX_BATCH:
            raise InvalidArgument.for_field("requests", f"at most {MAX_BATCH} items per batch")
        size = max(PARALLEL_CHUNK, -(-len(commands) // self._workers))
        chunks = [
            range(start, min(start + size, len(commands)))
            for start in range(0, len(commands), size)
        ]

        def convert(indexes: range) -> list[pep.Ciphertext]:
            return [self._transcrypt_item(caller, commands[i], i) for i in indexes]

        if len(chunks) == 1:
            return convert(chunks[0])
        futures = [self._pool.submit(convert, chunk) for chunk in chunks]
        return [item for future in futures for item in future.result()]

    def _transcrypt_item(
        self, caller: Principal, command: TranscryptCommand, index: int
    ) -> pep.Ciphertext:
        try:
            return self.transcrypt(caller, command)
        except InvalidArgument as error:
            violations = [
                FieldViolation(f"requests[{index}].{v.field}", v.description)
                for v in error.violations
            ]
            raise replace(error, violations=violations) from None

    def close(self) -> None:
        """Stop the batch workers."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def issue_domain_key(self, caller: Principal, domain: str) -> DomainKey:
        """Hand a domain's key to a service of that domain, recording who received it."""
        self._transcryptor.domain(domain, "domain")
        caller.require_role("service")
        caller.require_domain(domain)
        secret, public = self._transcryptor.domain_secret_key(domain)
        trace_id, _ = current_trace_ids()
        with self._unit_of_work() as uow:
            KeyIssuanceRepository(uow.session).add(
                KeyIssuance(
                    domain, self._transcryptor.version, caller.subject, self._clock(), trace_id
                )
            )
            uow.commit()
        return DomainKey(domain, self._transcryptor.version, secret, public)
