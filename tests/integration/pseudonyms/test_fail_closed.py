"""A conversion between domains does not happen when its processing record cannot be written."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import partial

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer import pep
from stadskamer.client import make_polymorphic_pseudonym
from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.errors import Unavailable
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.pseudonyms.bootstrap import MIGRATIONS
from stadskamer.pseudonyms.domain import Secrets, Transcryptor
from stadskamer.pseudonyms.service import PseudonymService, TranscryptCommand


class BrokenLog:
    """A processing log whose store is down."""

    def append(self, record: ProcessingRecord) -> None:
        raise Unavailable("the processing log cannot be written", "PROCESSING_LOG_UNAVAILABLE")


def test_no_record_no_conversion(database_url: str) -> None:
    engine = make_engine(database_url, "pseudonyms")
    migrate(engine, MIGRATIONS, "pseudonyms")
    consent_key = Ed25519PrivateKey.generate()
    transcryptor = Transcryptor(
        Secrets(pep.random_scalar(), os.urandom(32), os.urandom(32)), ["kcc", "burgerzaken"]
    )
    service = PseudonymService(
        transcryptor,
        partial(UnitOfWork, session_factory(engine)),
        BrokenLog(),
        consent_key.public_key(),
    )
    pp = make_polymorphic_pseudonym("111222333", transcryptor.master_public_key)
    grant = LinkGrant.create(
        pp, "kcc", "burgerzaken", "integrated-contact-history", "consents/1", datetime.now(UTC)
    )
    command = TranscryptCommand(
        "burgerzaken", polymorphic=pp, link_grant=link_grants.issue(grant, consent_key)
    )
    with pytest.raises(Unavailable):
        service.transcrypt(Principal("agent", frozenset({"kcc"}), frozenset({"agent"})), command)
    service.close()
    engine.dispose()
