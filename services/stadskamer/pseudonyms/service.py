"""Use cases of the pseudonym service: the caller's identity in, domain objects out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from stadskamer import pep
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import FieldViolation, InvalidArgument
from stadskamer.common.telemetry import current_trace_ids
from stadskamer.pseudonyms.adapters.repository import KeyIssuance, KeyIssuanceRepository
from stadskamer.pseudonyms.domain import Transcryptor, authorize_conversion, parse_ciphertext

MAX_BATCH = 1000


@dataclass(frozen=True)
class TranscryptCommand:
    """One conversion: exactly one of ``polymorphic`` and ``encrypted`` is set."""

    target_domain: str
    polymorphic: bytes | None = None
    encrypted: bytes | None = None
    source_domain: str = ""


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
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._transcryptor = transcryptor
        self._unit_of_work = unit_of_work
        self._clock = clock

    @property
    def transcryptor(self) -> Transcryptor:
        """The transcryptor (for the catalogue and public keys)."""
        return self._transcryptor

    def transcrypt(self, caller: Principal, command: TranscryptCommand) -> pep.Ciphertext:
        """Convert one pseudonym for ``command.target_domain`` after checking the caller."""
        transcryptor = self._transcryptor
        transcryptor.domain(command.target_domain, "target_domain")
        if command.encrypted is not None:
            transcryptor.domain(command.source_domain, "source_domain")
            source = parse_ciphertext(command.encrypted, "encrypted_pseudonym")
            authorize_conversion(caller.domains, command.source_domain, command.target_domain)
            return transcryptor.between_domains(
                source, command.source_domain, command.target_domain
            )
        if command.polymorphic is None:
            raise InvalidArgument.for_field("source", "give a polymorphic or encrypted pseudonym")
        pseudonym = parse_ciphertext(command.polymorphic, "polymorphic_pseudonym")
        authorize_conversion(caller.domains, None, command.target_domain)
        return transcryptor.from_polymorphic(pseudonym, command.target_domain)

    def transcrypt_batch(
        self, caller: Principal, commands: Sequence[TranscryptCommand]
    ) -> list[pep.Ciphertext]:
        """Convert many; the first refused item fails the whole batch, naming its index."""
        if len(commands) > MAX_BATCH:
            raise InvalidArgument.for_field("requests", f"at most {MAX_BATCH} items per batch")
        results = []
        for index, command in enumerate(commands):
            try:
                results.append(self.transcrypt(caller, command))
            except InvalidArgument as error:
                violations = [
                    FieldViolation(f"requests[{index}].{v.field}", v.description)
                    for v in error.violations
                ]
                raise replace(error, violations=violations) from None
        return results

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
