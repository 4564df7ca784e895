"""Who may convert which tagged pseudonym into which domain: the transcryptor's one rule set.

Plain Python: no gRPC, no SQL. Given the caller, the verified tag of the source and the
target, :func:`decide` says on which basis the conversion may happen and how the output is
tagged; or raises. shared/design/pseudonyms.md, "Issued, never self-made" and "Closing the
remaining doors", lists the rules; here they are in order:

1. **Claim** (target = the tag's audience): the receiving domain's service turns an issued or
   grant-bound encrypted pseudonym of its own domain into a stored reference, once. A stored
   reference is not claimed again; its own domain may only **refresh** it (a new
   rerandomization and tag of the same audience, e.g. to send it in an event: a stored
   reference never leaves its domain as is), and it converts elsewhere only under a grant.
2. **Report** (target = ``audit``): a service names the subject of a processing record it
   sends to the audit service. The output is encrypted for ``audit/<audience>``: only the
   audit service can decrypt it, and it keeps each reporting domain's subjects apart.
3. **Oversight** (target = ``consent``): the consent service looks up the consents of a
   citizen presented to it (a pseudonym issued or produced under a grant, or a domain's
   refreshed stored reference, e.g. surveys recording a call-back consent weeks after the
   survey); every such use is the consent service's own recorded processing.
4. **Link grant** (any other target): pull (the requester has its own subject converted into
   the grant's target) or push (the requester has the target's subject converted into its
   own domain); the grant names the caller's domain as requester, the caller as presenter,
   and is bound to exactly the source tag (its message hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.pep.tags import Kind, TaggedPseudonym

AUDIT = "audit"
CONSENT = "consent"
REPORT_PREFIX = "audit/"

CLAIM = "claim"
REFRESH = "refresh"
REPORT = "report"
OVERSIGHT = "oversight"


@dataclass(frozen=True)
class Caller:
    """What the rules need to know of the caller."""

    subject: str
    domains: frozenset[str]
    roles: frozenset[str]


@dataclass(frozen=True)
class Decision:
    """How a conversion may happen and how its output is tagged."""

    basis: str  # claim, report, oversight, or the grant's basis
    output_kind: Kind
    output_audience: str
    output_requester: str = ""
    grant: LinkGrant | None = None
    single_use: bool = False  # the source tag is spent by this conversion
    output_expiry: datetime | None = None  # None: the rule's default lifetime


def report_audience(domain: str) -> str:
    """The audit pseudonym domain of records reported by ``domain``."""
    return REPORT_PREFIX + domain


def decide(
    caller: Caller, source: TaggedPseudonym, target: str, grant: LinkGrant | None
) -> Decision:
    """The basis of converting ``source`` into ``target`` for ``caller``, or a refusal."""
    audience = source.audience
    if source.kind is Kind.POLYMORPHIC:
        raise InvalidArgument.for_field(
            "tagged_pseudonym", "a polymorphic pseudonym is not converted", "TAG_KIND_REFUSED"
        )
    if audience.startswith(REPORT_PREFIX) or audience == AUDIT:
        raise PermissionDenied(
            "a pseudonym of an oversight domain converts nowhere", "OVERSIGHT_PSEUDONYM"
        )
    if target == audience:
        return _claim(caller, source)
    if target == AUDIT:
        return _report(caller, source)
    if audience == CONSENT:
        raise PermissionDenied(
            "a pseudonym of an oversight domain converts nowhere", "OVERSIGHT_PSEUDONYM"
        )
    if target == CONSENT and grant is None:
        return _oversight(caller, source)
    return _granted(caller, source, target, grant)


def _claim(caller: Caller, source: TaggedPseudonym) -> Decision:
    if source.audience not in caller.domains or "service" not in caller.roles:
        raise PermissionDenied(
            "only a service of the pseudonym's audience may claim it",
            "NOT_THE_AUDIENCE",
            {"target_domain": source.audience},
        )
    if source.kind is Kind.REFERENCE:
        return Decision(REFRESH, Kind.REFERENCE, source.audience)
    return Decision(CLAIM, Kind.REFERENCE, source.audience, single_use=True)


def _report(caller: Caller, source: TaggedPseudonym) -> Decision:
    if source.audience not in caller.domains or "service" not in caller.roles:
        raise PermissionDenied(
            "only a service of the pseudonym's audience reports about it", "NOT_THE_AUDIENCE"
        )
    return Decision(REPORT, Kind.ENCRYPTED, report_audience(source.audience), source.audience)


def _oversight(caller: Caller, source: TaggedPseudonym) -> Decision:
    if CONSENT not in caller.domains or "service" not in caller.roles:
        raise PermissionDenied(
            "a conversion into another domain needs a link grant from the consent service",
            "LINK_GRANT_REQUIRED",
            {"target_domain": CONSENT},
        )
    return Decision(OVERSIGHT, Kind.ENCRYPTED, CONSENT, source.audience)


def _granted(
    caller: Caller, source: TaggedPseudonym, target: str, grant: LinkGrant | None
) -> Decision:
    if grant is None:
        raise PermissionDenied(
            "a conversion into another domain needs a link grant from the consent service",
            "LINK_GRANT_REQUIRED",
            {"target_domain": target},
        )
    if grant.requester_domain not in caller.domains:
        raise PermissionDenied(
            "the link grant was issued to another requester", "LINK_GRANT_WRONG_REQUESTER"
        )
    if grant.presenter and grant.presenter != caller.subject:
        raise PermissionDenied(
            "the link grant was issued to another presenter", "LINK_GRANT_WRONG_PRESENTER"
        )
    pull = grant.target_domain == target and source.audience == grant.requester_domain
    push = grant.requester_domain == target and source.audience == grant.target_domain
    if not (pull or push):
        raise PermissionDenied(
            "the link grant does not cover this conversion", "LINK_GRANT_WRONG_TARGET"
        )
    if not grant.is_for(source.use_key()):
        raise PermissionDenied(
            "the link grant was issued for another pseudonym", "LINK_GRANT_WRONG_SUBJECT"
        )
    return Decision(
        grant.basis,
        Kind.ENCRYPTED,
        target,
        grant.requester_domain,
        grant=grant,
        output_expiry=grant.expires_at,
    )
