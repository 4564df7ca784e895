"""Use cases of the door between domains: check a link, and issue a link grant.

The caller must act for the requester domain (``Principal.require_domain``) and have one of
the roles ``agent``, ``system`` or ``service``. The subject is a tagged pseudonym of the
requester's domain (a pull: the requester's subject is converted into the target) or of the
target's (a push: the target's subject is converted into the requester's domain), which is the
direction the policy decides on; a grant is bound to exactly that tag (its message hash) and
to the caller as its only presenter. Every check and every grant issued (or refused) is
appended to the processing log before the answer is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.errors import PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.consent.adapters.repository import ConsentRepository
from stadskamer.consent.domain import CheckOutcome, evaluate
from stadskamer.consent.policy import Direction, Policy, Situation, Verdict
from stadskamer.consent.service import Collaborators, check_subject_domain
from stadskamer.consent.subjects import Subject
from stadskamer.pep.tags import Kind

CHECKERS = ("agent", "system", "service")


@dataclass(frozen=True)
class LinkQuery:
    """May ``requester_domain`` receive ``target_domain``'s data on ``subject`` for ``purpose``?

    ``subject`` is a tagged pseudonym of the requester or the target domain
    (``subject_domain``, when set, must be that domain).
    """

    subject: bytes
    purpose: str
    requester_domain: str
    target_domain: str
    subject_domain: str = ""


@dataclass(frozen=True)
class IssuedGrant:
    """A signed link grant with what it says and why it was allowed."""

    token: str
    grant: LinkGrant
    outcome: CheckOutcome


class AccessService:
    """Consent and policy checks, and link grants after a positive check."""

    def __init__(
        self,
        parts: Collaborators,
        policy: Policy,
        grant_key: Ed25519PrivateKey,
        grant_lifetime: timedelta = timedelta(seconds=30),
    ) -> None:
        self._parts = parts
        self._policy = policy
        self._grant_key = grant_key
        self._grant_lifetime = grant_lifetime

    def check(self, caller: Principal, query: LinkQuery) -> CheckOutcome:
        """Allowed or not, with the basis or the reason."""
        outcome, subject = self._decide(caller, query)
        status = "ALLOWED" if outcome.allowed else _denied(outcome)
        self._log("consent.check", status, caller, query, outcome, subject)
        return outcome

    def issue_link_grant(self, caller: Principal, query: LinkQuery) -> IssuedGrant:
        """A signed grant after a positive check; PERMISSION_DENIED with the reason otherwise."""
        outcome, subject = self._decide(caller, query)
        if not outcome.allowed:
            self._log("link-grant.issue", _denied(outcome), caller, query, outcome, subject)
            assert outcome.denial is not None
            metadata = {"purpose": query.purpose, "target_domain": query.target_domain}
            if outcome.rule_id:
                metadata["policy_rule"] = outcome.rule_id
            raise PermissionDenied(
                "neither a consent nor the policy allows this link",
                outcome.denial.value,
                metadata,
            )
        grant = LinkGrant.create(
            subject.use_key,
            query.requester_domain,
            query.target_domain,
            query.purpose,
            outcome.basis,
            self._parts.clock(),
            self._grant_lifetime,
            presenter=caller.subject,
        )
        token = link_grants.issue(grant, self._grant_key)
        reference = f"link-grants/{grant.grant_id}"  # as the conversion and the read name it
        self._log("link-grant.issue", "OK", caller, query, outcome, subject, reference)
        return IssuedGrant(token, grant, outcome)

    def _decide(self, caller: Principal, query: LinkQuery) -> tuple[CheckOutcome, Subject]:
        caller.require_role(*CHECKERS)
        caller.require_domain(query.requester_domain)
        parts = self._parts
        parts.catalogue.current(query.purpose)
        tag = parts.subjects.verified(query.subject, (query.requester_domain, query.target_domain))
        check_subject_domain(query.subject_domain, tag.audience)
        situation = Situation(
            Direction.PULL if tag.audience == query.requester_domain else Direction.PUSH,
            stored_reference=tag.kind is Kind.REFERENCE,
        )
        decision = self._policy.decide(
            query.requester_domain, query.target_domain, query.purpose, situation
        )
        subject = parts.subjects.converted(query.subject, tag)
        consents = []
        if decision.verdict is Verdict.NEEDS_CONSENT:
            with parts.unit_of_work() as uow:
                repository = ConsentRepository(uow.session)
                consents = repository.for_subject(subject.pseudonym, query.purpose)
        outcome = evaluate(
            decision, parts.catalogue, query.purpose, query.target_domain, consents, parts.clock()
        )
        return outcome, subject

    def _log(
        self,
        name: str,
        status: str,
        caller: Principal,
        query: LinkQuery,
        outcome: CheckOutcome,
        subject: Subject,
        reference: str = "",
    ) -> None:
        self._parts.log(
            name,
            status,
            caller,
            subject.record_subject,
            purpose=query.purpose,
            legal_basis=outcome.legal_basis,
            requester_domain=query.requester_domain,
            target_domain=query.target_domain,
            basis=outcome.basis or outcome.rule_id,
            reference=reference,
        )


def _denied(outcome: CheckOutcome) -> str:
    return f"DENIED:{outcome.denial.value if outcome.denial else 'UNKNOWN'}"
