"""A pseudonym service with its issuance on a real database, for the integration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer import pep
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.pseudonyms.bootstrap import MIGRATIONS
from stadskamer.pseudonyms.domain import DEFAULT_DOMAINS, Secrets, Transcryptor
from stadskamer.pseudonyms.issuance import Issuance, IssuanceLimits
from stadskamer.pseudonyms.service import PseudonymService


@dataclass
class MemoryLog:
    """A processing log that keeps what it is given."""

    records: list[ProcessingRecord] = field(default_factory=list)

    def append(self, record: ProcessingRecord) -> None:
        self.records.append(record)


@dataclass
class Parts:
    """The service, its issuance, the consent key that signs grants, and the log."""

    service: PseudonymService
    issuance: Issuance
    consent_key: Ed25519PrivateKey
    log: MemoryLog
    transcryptor: Transcryptor

    def key(self, domain: str) -> tuple[bytes, bytes]:
        """A domain's key pair."""
        return self.transcryptor.domain_secret_key(domain)


def principal(subject: str, domains: set[str], roles: set[str]) -> Principal:
    """A caller."""
    return Principal(subject, frozenset(domains), frozenset(roles))


@contextmanager
def pseudonym_service(
    database_url: str,
    limits: IssuanceLimits | None = None,
    log: object | None = None,
    conversion_log: object | None = None,
) -> Iterator[Parts]:
    """The service on ``database_url``; closed afterwards."""
    engine = make_engine(database_url, "pseudonyms")
    migrate(engine, MIGRATIONS, "pseudonyms")
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    transcryptor = Transcryptor(
        Secrets(pep.random_scalar(), os.urandom(32), os.urandom(32)), DEFAULT_DOMAINS
    )
    consent_key = Ed25519PrivateKey.generate()
    memory = MemoryLog()
    processing_log = log or memory
    service = PseudonymService(
        transcryptor,
        unit_of_work,
        conversion_log or processing_log,
        consent_key.public_key(),  # type: ignore[arg-type]
    )
    issuance = Issuance(
        transcryptor.issue,
        lambda kind, ciphertext, audience: service.tag(kind, ciphertext, audience),
        DEFAULT_DOMAINS,
        unit_of_work,
        processing_log,  # type: ignore[arg-type]
        service.now,
        limits or IssuanceLimits(),
    )
    try:
        yield Parts(service, issuance, consent_key, memory, transcryptor)
    finally:
        service.close()
        engine.dispose()
