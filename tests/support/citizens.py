"""Citizens' subjects for tests: tagged pseudonyms issued by the running pseudonym service.

Nobody makes a pseudonym: a test that needs a citizen's subject has the BSN issued into the
domain that receives it, as the gateway or an importer does. Each issued pseudonym is claimed
once, so issue a fresh one for every call that takes a subject.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from stadskamer.client import PseudonymClient
from stadskamer.common.auth import TokenIssuer

PURPOSE = "contact-registration"
ISSUER = "test-issuer"
# Every domain a citizen can be issued into; role system gives the bulk issuance limit.
DOMAINS = ("kcc", "burgerzaken", "sociale-zaken", "belastingen", "klachten", "onderzoek")
ROLES = ("issuer", "system")


class Citizens:
    """Issues citizens' tagged pseudonyms over ``channel`` as an issuer of every domain."""

    def __init__(self, channel: grpc.Channel, issuer: TokenIssuer, subject: str = ISSUER) -> None:
        token = issuer.issue(subject, list(DOMAINS), list(ROLES), 3600)
        self.client = PseudonymClient(channel, token, timeout=30)

    def subject(self, bsn: str, domain: str) -> bytes:
        """A fresh tagged pseudonym of ``bsn`` for ``domain``."""
        return self.client.issue_one(bsn, domain, PURPOSE)

    def subjects(self, bsns: Sequence[str], domain: str) -> list[bytes]:
        """A fresh tagged pseudonym for ``domain`` of each of ``bsns`` (all valid), in order."""
        issued = self.client.issue(bsns, [domain], PURPOSE)
        if any(answer is None for answer in issued):
            raise ValueError("an invalid BSN was given")
        return [answer[0] for answer in issued if answer is not None]
