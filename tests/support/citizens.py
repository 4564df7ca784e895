"""A citizen as a front end knows them: a BSN issued into a domain by the pseudonym service."""

from __future__ import annotations

from stadskamer.client import PseudonymClient
from tests.support.stack import Stack

DEFAULT_PURPOSE = "contact-registration"


def issued(stack: Stack, bsn: str, domain: str, purpose: str = DEFAULT_PURPOSE) -> bytes:
    """A fresh tagged pseudonym of ``bsn`` for ``domain``, issued as that domain's edge would
    (role ``issuer``; each call counts against the edge's hourly limit). Claimable once."""
    token = stack.token(f"{domain}-edge", [domain], ["agent", "issuer"])
    return PseudonymClient(stack.channel, token).issue_one(bsn, domain, purpose)
