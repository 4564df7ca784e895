"""BSN → tagged pseudonym at the edge: issued by the pseudonym service, never made here.

The gateway makes no pseudonym (shared/design/pseudonyms.md, "Issued, never self-made"). A BSN
from a request body is checked (11-check) and handed to ``IssuePolymorphicPseudonyms`` with
the caller's own bearer token, for exactly the one audience domain the called route needs;
only the tagged pseudonym that comes back travels on, exactly as received. The pseudonym
service decides: the token must carry role ``issuer`` and the audience among its domains
(403 with its reason otherwise), and each issued citizen counts against the caller's hourly
limit (429). An invalid BSN is refused here, without the number appearing anywhere and
without counting.

Which audience (the route decides, :meth:`stadskamer.gateway.rest.operations.Call.subject`):
a contact's own ``domain``; ``klachten`` for complaints; the ``requesterDomain`` of a history
search or a consent check; for giving and listing consents :func:`acting_domain`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta

import grpc

from stadskamer import pep
from stadskamer.client import PseudonymClient, validate_bsn
from stadskamer.common.errors import StadskamerError
from stadskamer.gateway.rest.codec import BadInput
from stadskamer.gateway.rest.problems import Problem, from_domain_error

INVALID_BSN = "must be a valid BSN: nine digits passing the 11-check"
OVERSIGHT_DOMAINS = frozenset({"audit", "consent"})
ISSUANCE_LIMIT = "ISSUANCE_LIMIT"
PEER = "pseudonyms"


def acting_domain(
    domains: Sequence[str],
    requested: str | None,
    preferred: Callable[[], Collection[str]] = tuple,
) -> str:
    """The domain an agent acts for on a consent route: the audience a citizen is issued into.

    ``requested`` (the body's ``domain``) when given: the pseudonym service refuses it unless
    the token names it. Otherwise the first of the token's ``domains`` (in the token's order)
    that is not an oversight domain; where there are several, the first of those that
    ``preferred()`` lists (the domains of the purpose a consent is given for, asked only
    then). 403 ``NO_ACTING_DOMAIN`` when the token names none.
    """
    if requested:
        return requested
    acting = [d for d in domains if d not in OVERSIGHT_DOMAINS]
    if len(acting) > 1:
        wanted = preferred()
        acting = [d for d in acting if d in wanted] or acting
    if acting:
        return acting[0]
    raise Problem(
        403,
        "the token names no domain to act for (audit and consent are oversight domains): "
        "a citizen is issued only into a domain the caller acts for",
        "NO_ACTING_DOMAIN",
    )


def seconds_to_next_hour(now: datetime) -> int:
    """Seconds until the next full hour: when an hourly issuance limit opens again."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    return max(1, int((hour + timedelta(hours=1) - now).total_seconds()))


class Citizens:
    """Has BSNs issued by the pseudonym service, as the caller, over the gateway's channel."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._channel = channel

    def issue(
        self,
        bsn: str,
        audience: str,
        purpose: str,
        token: str,
        timeout: float,
        audience_field: str = "audiences",
    ) -> list[bytes]:
        """The tagged pseudonyms of ``bsn`` for ``audience``, issued with the caller's ``token``:
        one, or for a privacy officer's ``audit`` one per reporting domain (``audit/<d>``).

        400 naming ``bsn`` for an invalid number (checked here, nothing is issued); the
        pseudonym service's refusals as problems: 403 with its reason (``ROLE_MISSING`` without
        role ``issuer``, ``DOMAIN_NOT_IN_TOKEN``, ``OVERSIGHT_AUDIENCE``), 429 with
        Retry-After at the issuance limit, 503 when it cannot be reached.
        """
        try:
            normalized = validate_bsn(bsn)
        except pep.InvalidBsnError:
            raise BadInput.field("bsn", INVALID_BSN) from None
        client = PseudonymClient(self._channel, token, timeout)
        try:
            [answer] = client.issue([normalized], [audience], purpose)
        except StadskamerError as error:
            aliases = {"bsns": "bsn", "bsn": "bsn", "audiences": audience_field}
            problem = from_domain_error(error, PEER, aliases)
            if problem.status == 429 and problem.code == ISSUANCE_LIMIT:
                problem.retry_after = seconds_to_next_hour(datetime.now(UTC))
            raise problem from None
        if answer is None:
            raise BadInput.field("bsn", INVALID_BSN)
        return answer
