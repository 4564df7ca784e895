"""A conversion between domains does not happen when its processing record cannot be written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stadskamer.common import link_grants
from stadskamer.common.errors import Unavailable
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.pep import tags
from stadskamer.pseudonyms.service import TranscryptCommand
from tests.integration.pseudonyms.service_under_test import principal, pseudonym_service


class BrokenLog:
    """A processing log whose store is down."""

    def append(self, record: ProcessingRecord) -> None:
        raise Unavailable("the processing log cannot be written", "PROCESSING_LOG_UNAVAILABLE")


def test_no_record_no_conversion(database_url: str) -> None:
    with pseudonym_service(database_url, log=BrokenLog()) as parts:
        agent = principal("agent", {"kcc"}, {"agent", "issuer"})
        with pytest.raises(Unavailable):
            parts.issuance.issue(agent, ["111222333"], ["kcc"], "contact-registration")
    with pseudonym_service(database_url, conversion_log=BrokenLog()) as parts:
        issued = parts.issuance.issue(agent, ["111222333"], ["kcc"], "contact-registration")
        tagged = issued[0].pseudonyms[0].to_bytes()
        grant = LinkGrant.create(
            tags.parse(tagged).use_key(),
            "kcc",
            "burgerzaken",
            "integrated-contact-history",
            "consents/1",
            datetime.now(UTC),
            presenter="agent",
        )
        command = TranscryptCommand(
            "burgerzaken", tagged, link_grants.issue(grant, parts.consent_key)
        )
        with pytest.raises(Unavailable):
            parts.service.transcrypt(agent, command)
