"""Use cases of the pseudonym service: the caller's identity in, domain objects out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stadskamer import pep
from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import FieldViolation, InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.processing_log import ProcessingLog, ProcessingRecord
from stadskamer.common.telemetry import current_trace_ids
from stadskamer.pep import tags
from stadskamer.pep.tags import TaggedPseudonym
from stadskamer.pseudonyms import tag_rules
from stadskamer.pseudonyms.adapters.repository import (
    KeyIssuance,
    KeyIssuanceRepository,
    SpentTagRepository,
    UsedGrantRepository,
)
from stadskamer.pseudonyms.domain import Transcryptor

MAX_BATCH = 1000
PARALLEL_CHUNK = 50  # smaller batches are converted on the calling thread
PRUNE_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class TranscryptCommand:
    """One conversion of a tagged pseudonym; ``untagged`` names a refused legacy form."""

    target_domain: str
    tagged: bytes | None = None
    link_grant: str = ""
    untagged: str = ""


@dataclass(frozen=True)
class Converted:
    """A conversion's tagged output, and for a claim the processing record's subject."""

    tagged: TaggedPseudonym
    audit_subject: TaggedPseudonym | None = None


@dataclass(frozen=True)
class _Prepared:
    """A checked conversion, before its tag or grant is spent."""

    caller: Principal
    target: str
    source: TaggedPseudonym
    grant: LinkGrant | None
    decision: tag_rules.Decision


@dataclass(frozen=True)
class DomainKey:
    """A domain's key pair as handed to a service of that domain."""

    domain: str
    key_version: str
    secret_key: bytes
    public_key: bytes


@dataclass(frozen=True)
class Lifetimes:
    """How long each kind of output stays convertible."""

    issued: timedelta = timedelta(minutes=5)
    reference: timedelta = timedelta(days=400)
    report: timedelta = timedelta(hours=1)
    oversight: timedelta = timedelta(seconds=60)


class PseudonymService:
    """The transcryptor's use cases."""

    def __init__(
        self,
        transcryptor: Transcryptor,
        unit_of_work: Callable[[], UnitOfWork],
        processing_log: ProcessingLog,
        grant_key: Ed25519PublicKey | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        workers: int = 2,
        tag_key: Ed25519PrivateKey | None = None,
        lifetimes: Lifetimes = Lifetimes(),
    ) -> None:
        self._workers = max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="rsk")
        self._transcryptor = transcryptor
        self._unit_of_work = unit_of_work
        self._processing_log = processing_log
        self._grant_key = grant_key
        self._clock = clock
        self._tag_key = tag_key or Ed25519PrivateKey.generate()
        self._tag_keys = {tags.tag_key_id(self._tag_key.public_key()): self._tag_key.public_key()}
        self.lifetimes = lifetimes
        self._last_prune = datetime.min.replace(tzinfo=UTC)

    @property
    def transcryptor(self) -> Transcryptor:
        """The transcryptor (for the catalogue and public keys)."""
        return self._transcryptor

    @property
    def tag_public_keys(self) -> dict[str, Ed25519PublicKey]:
        """The tag keys by key id (the current one first)."""
        return dict(self._tag_keys)

    def now(self) -> datetime:
        """The service's clock."""
        return self._clock()

    def tag(
        self,
        kind: tags.Kind,
        ciphertext: pep.Ciphertext,
        audience: str,
        lifetime: timedelta | None = None,
        *,
        requester: str = "",
        grant_id: str = "",
        not_after: datetime | None = None,
    ) -> TaggedPseudonym:
        """Tag a ciphertext this service made (the only place tags are signed)."""
        expiry = not_after or self._clock() + (lifetime or self.lifetimes.issued)
        return tags.sign(
            self._tag_key,
            kind,
            ciphertext.to_bytes(),
            audience=audience,
            not_after=expiry,
            key_version=self._transcryptor.version,
            requester=requester,
            grant_id=grant_id,
        )

    def transcrypt(self, caller: Principal, command: TranscryptCommand) -> Converted:
        """Convert one tagged pseudonym for ``command.target_domain`` after checking the caller.

        Only a tagged pseudonym this service issued converts, as the exact bytes it handed out;
        what it may become is :func:`stadskamer.pseudonyms.tag_rules.decide`. A conversion
        under a link grant is honoured once and recorded (fail-closed) before it is returned.
        """
        prepared = self._prepare(caller, command)
        self._use([prepared])
        return self._produce(prepared)

    def _prepare(self, caller: Principal, command: TranscryptCommand) -> _Prepared:
        """Verify the source and decide, spending nothing yet."""
        target = command.target_domain
        if command.tagged is None:
            raise InvalidArgument.for_field(
                command.untagged or "tagged_pseudonym",
                "only a tagged pseudonym issued by this service is converted",
                "UNTAGGED_PSEUDONYM",
            )
        if target != tag_rules.AUDIT:
            self._transcryptor.domain(target, "target_domain")
        source = self._verified(command.tagged)
        grant = self._read_grant(command.link_grant) if command.link_grant else None
        who = tag_rules.Caller(caller.subject, caller.domains, caller.roles)
        try:
            decision = tag_rules.decide(who, source, target, grant)
        except PermissionDenied as refusal:
            if grant is not None:
                self._record_grant_use(caller, target, grant, source, "DENIED", refusal.reason)
            raise
        return _Prepared(caller, target, source, grant, decision)

    def _use(self, items: Sequence[_Prepared]) -> None:
        """Spend every single-use tag and claim every grant of ``items`` in one transaction:
        all of them, or (one was used before) none, naming the item in ``metadata``."""
        if not any(p.decision.single_use or p.decision.grant for p in items):
            return
        now = self._clock()
        refused: tuple[int, _Prepared, str] | None = None
        with self._unit_of_work() as uow:
            spent = SpentTagRepository(uow.session)
            grants = UsedGrantRepository(uow.session)
            for index, item in enumerate(items):
                source, grant = item.source, item.decision.grant
                if item.decision.single_use and not spent.add(source.use_key(), source.not_after):
                    refused = (index, item, "TAG_SPENT")
                    break
                if grant is not None and not grants.add(grant.grant_id, grant.expires_at):
                    refused = (index, item, "LINK_GRANT_REPLAYED")
                    break
            if refused is None:
                if now - self._last_prune > PRUNE_EVERY:
                    spent.prune(now - PRUNE_EVERY)
                    grants.prune(now - PRUNE_EVERY)
                    self._last_prune = now
                uow.commit()
                return
        index, item, reason = refused
        if item.grant is not None:
            self._record_grant_use(
                item.caller, item.target, item.grant, item.source, "DENIED", reason
            )
        message = {
            "TAG_SPENT": "this tagged pseudonym has been used already",
            "LINK_GRANT_REPLAYED": "the link grant has been used already",
        }[reason]
        raise PermissionDenied(message, reason, {"item": str(index)})

    def _produce(self, item: _Prepared) -> Converted:
        """The converted, tagged output (and the grant use's record)."""
        source, decision, grant = item.source, item.decision, item.decision.grant
        output = self._transcryptor.convert(
            source.parsed_ciphertext(), source.audience, decision.output_audience
        )
        lifetime = {
            tag_rules.CLAIM: self.lifetimes.reference,
            tag_rules.REFRESH: self.lifetimes.reference,
            tag_rules.REPORT: self.lifetimes.report,
            tag_rules.OVERSIGHT: self.lifetimes.oversight,
        }.get(decision.basis)
        tagged = self.tag(
            decision.output_kind,
            output,
            decision.output_audience,
            lifetime,
            requester=decision.output_requester,
            grant_id=grant.grant_id if grant is not None else "",
            not_after=decision.output_expiry,
        )
        if grant is not None:
            self._record_grant_use(item.caller, item.target, grant, source, "OK", grant.grant_id)
        audit_subject = None
        if decision.basis == tag_rules.CLAIM:
            audit_subject = self.report_subject(source.parsed_ciphertext(), source.audience)
        return Converted(tagged, audit_subject)

    def report_subject(self, ciphertext: pep.Ciphertext, audience: str) -> TaggedPseudonym:
        """The subject of a processing record about a pseudonym of ``audience``: tagged for
        ``audit/<audience>``, which only the audit service decrypts."""
        report = tag_rules.report_audience(audience)
        converted = self._transcryptor.convert(ciphertext, audience, report)
        return self.tag(
            tags.Kind.ENCRYPTED, converted, report, self.lifetimes.report, requester=audience
        )

    def _verified(self, raw: bytes) -> TaggedPseudonym:
        try:
            source = tags.verify(raw, self._tag_keys, self._clock())
        except tags.InvalidTagError as error:
            raise InvalidArgument.for_field("tagged_pseudonym", str(error), error.reason) from None
        if source.key_version != self._transcryptor.version:
            raise InvalidArgument.for_field(
                "tagged_pseudonym", "tagged under another key version", "TAG_KEY_VERSION"
            )
        factors = self._transcryptor.factors(source.audience, "tagged_pseudonym")
        ciphertext = source.parsed_ciphertext()
        if ciphertext.public_key != factors.public_key:
            raise InvalidArgument.for_field(
                "tagged_pseudonym", "not under the audience's public key", "WRONG_PUBLIC_KEY"
            )
        if self._transcryptor.encrypts_neutral(ciphertext, source.audience):
            raise InvalidArgument.for_field(
                "tagged_pseudonym", "encrypts the neutral element", "IDENTITY_PSEUDONYM"
            )
        return source

    def _read_grant(self, token: str) -> LinkGrant:
        if self._grant_key is None:
            raise PermissionDenied(
                "this deployment does not honour link grants", "LINK_GRANT_NOT_TRUSTED"
            )
        return link_grants.verify(token, self._grant_key, self._clock())

    def _record_grant_use(
        self,
        caller: Principal,
        target: str,
        grant: LinkGrant,
        source: TaggedPseudonym,
        status: str,
        reference: str,
    ) -> None:
        """The conversion's processing record, about its subject, fail-closed."""
        subject = self.report_subject(source.parsed_ciphertext(), source.audience)
        self._processing_log.append(
            ProcessingRecord.now(
                "pseudonyms.transcrypt",
                status,
                self._clock,
                actor=caller.subject,
                target_domain=target,
                requester_domain=grant.requester_domain,
                purpose=grant.purpose,
                basis=grant.basis,
                reference=f"link-grants/{grant.grant_id}" if status == "OK" else reference,
                subject_tagged=subject.to_bytes(),
            )
        )

    def transcrypt_batch(
        self, caller: Principal, commands: Sequence[TranscryptCommand]
    ) -> list[Converted]:
        """Convert many, all or nothing: a refused item fails the whole batch, naming its
        index, and then no item's tag or grant is spent.

        Large batches are converted over the worker threads (libsodium runs without the GIL),
        so one batch uses every core; the result keeps the request order.
        """
        if len(commands) > MAX_BATCH:
            raise InvalidArgument.for_field("requests", f"at most {MAX_BATCH} items per batch")
        prepared = [self._prepare_item(caller, c, i) for i, c in enumerate(commands)]
        self._use(prepared)
        size = max(PARALLEL_CHUNK, -(-len(prepared) // self._workers))
        chunks = [prepared[start : start + size] for start in range(0, len(prepared), size)]

        def produce(chunk: list[_Prepared]) -> list[Converted]:
            return [self._produce(item) for item in chunk]

        if len(chunks) <= 1:
            return produce(prepared)
        futures = [self._pool.submit(produce, chunk) for chunk in chunks]
        return [item for future in futures for item in future.result()]

    def _prepare_item(self, caller: Principal, command: TranscryptCommand, index: int) -> _Prepared:
        try:
            return self._prepare(caller, command)
        except InvalidArgument as error:
            violations = [
                FieldViolation(f"requests[{index}].{v.field}", v.description)
                for v in error.violations
            ]
            raise replace(error, violations=violations) from None
        except PermissionDenied as error:
            raise replace(error, metadata={**error.metadata, "item": str(index)}) from None

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
            self._processing_log.append(
                ProcessingRecord.now(
                    "pseudonyms.domain-key",
                    "OK",
                    self._clock,
                    actor=caller.subject,
                    target_domain=domain,
                    requester_domain=domain,
                    reference=f"domain-keys/{domain}/{self._transcryptor.version}",
                )
            )
            uow.commit()
        return DomainKey(domain, self._transcryptor.version, secret, public)
