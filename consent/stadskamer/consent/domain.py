"""The consent state machine and the check: plain Python, no gRPC, no SQL.

A consent is given (state ACTIVE), and later either withdrawn (WITHDRAWN, with time and
reason; nothing is deleted) or past its expiry (EXPIRED). Withdrawal is final: a new consent
is a new record. The check combines the policy's decision with the subject's consents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from stadskamer.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from stadskamer.consent.catalogue import Purpose, PurposeCatalogue
from stadskamer.consent.policy import OWN_DOMAIN, Decision, Verdict

CONSENT_NAME = re.compile(r"^consents/([0-9a-f]{32})$")
AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class ConsentState(Enum):
    """Where a consent is in its life."""

    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"


class CaptureMethod(Enum):
    """Who recorded the consent: an agent with the citizen, or the citizen on a self-service."""

    AGENT = "agent"
    SELF_SERVICE = "self-service"


class WithdrawalReason(Enum):
    """Why a consent was withdrawn (a code: no free text is stored)."""

    CITIZEN_REQUEST = "citizen-request"
    RECORDED_IN_ERROR = "recorded-in-error"
    PURPOSE_ENDED = "purpose-ended"


@dataclass(frozen=True)
class Capture:
    """How the consent was captured: channel (e.g. ``phone``), method and agent id."""

    channel: str
    method: CaptureMethod
    agent_id: str = ""


@dataclass(frozen=True)
class Consent:
    """One consent of one subject (its consent-domain pseudonym) for one purpose version.

    ``reference`` is the consent domain's stored reference of the subject (a tagged
    pseudonym, for the records of later reads), empty for a consent given before they were
    kept.
    """

    id: str
    subject: bytes
    purpose: str
    purpose_version: int
    notice_hash: bytes
    capture: Capture
    recorded_by: str
    given_at: datetime
    expires_at: datetime | None
    receipt: str = ""
    withdrawn_at: datetime | None = None
    withdrawal_reason: WithdrawalReason | None = None
    withdrawn_by: str = ""
    withdrawal_receipt: str = ""
    reference: bytes = b""

    @property
    def name(self) -> str:
        """The resource name ``consents/{id}``."""
        return f"consents/{self.id}"

    def state(self, now: datetime) -> ConsentState:
        """WITHDRAWN once withdrawn, EXPIRED from ``expires_at`` on, else ACTIVE."""
        if self.withdrawn_at is not None:
            return ConsentState.WITHDRAWN
        if self.expires_at is not None and now >= self.expires_at:
            return ConsentState.EXPIRED
        return ConsentState.ACTIVE

    def withdraw(self, at: datetime, reason: WithdrawalReason, by: str) -> Consent:
        """The withdrawn consent (the given fields are kept); FAILED_PRECONDITION if already."""
        if self.withdrawn_at is not None:
            raise FailedPrecondition("the consent is already withdrawn", "ALREADY_WITHDRAWN")
        return replace(self, withdrawn_at=at, withdrawal_reason=reason, withdrawn_by=by)


def consent_id(name: str) -> str:
    """The id in a consent name, or INVALID_ARGUMENT naming ``name``."""
    match = CONSENT_NAME.match(name)
    if match is None:
        raise InvalidArgument.for_field("name", "must look like consents/{32 hex digits}")
    return match.group(1)


def grantable(catalogue: PurposeCatalogue, purpose_id: str, version: int) -> Purpose:
    """The purpose version a new consent may be given for.

    Unknown purpose or version → INVALID_ARGUMENT; a purpose that takes no consent →
    INVALID_ARGUMENT on ``purpose``; an older version → FAILED_PRECONDITION (new consents
    are given on the current text only).
    """
    purpose = catalogue.version_of(purpose_id, version)
    if not purpose.requires_consent:
        raise InvalidArgument.for_field(
            "purpose", "this purpose rests on a legal basis and takes no consent"
        )
    if not catalogue.is_current(purpose):
        current = catalogue.current(purpose_id)
        raise FailedPrecondition(
            "a newer version of this purpose's text exists; capture the consent on it",
            "PURPOSE_VERSION_SUPERSEDED",
            {"current_version": str(current.version)},
        )
    return purpose


def check_capture(capture: Capture, caller_subject: str, caller_roles: frozenset[str]) -> Capture:
    """The capture to record, after the rules of who may record what.

    Self-service: only the citizen's front end (role ``system``) or a ``service``; no agent.
    Agent: the agent id defaults to the caller; a caller with only the ``agent`` role may not
    record in another agent's name.
    """
    machine = bool(caller_roles & {"system", "service"})
    if capture.method is CaptureMethod.SELF_SERVICE:
        if capture.agent_id:
            raise InvalidArgument.for_field("capture.agent_id", "must be empty for self-service")
        if not machine:
            raise PermissionDenied(
                "only the self-service front end records self-service consent", "ROLE_MISSING"
            )
        return capture
    agent = capture.agent_id or caller_subject
    if not AGENT_ID.match(agent):
        raise InvalidArgument.for_field("capture.agent_id", "letters, digits and ._@- only")
    if agent != caller_subject and not machine:
        raise PermissionDenied("an agent records consent in their own name", "AGENT_MISMATCH")
    return replace(capture, agent_id=agent)


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    """An expiry, when given, lies in the future."""
    if expires_at is not None and expires_at <= now:
        raise InvalidArgument.for_field("expire_time", "must lie in the future")


class Denial(Enum):
    """Why a check says no."""

    NEVER = "NEVER"
    NO_RULE = "NO_RULE"
    NO_CONSENT = "NO_CONSENT"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    CONSENT_EXPIRED = "CONSENT_EXPIRED"
    PURPOSE_DOES_NOT_COVER_DOMAIN = "PURPOSE_DOES_NOT_COVER_DOMAIN"
    TRIGGER_MISSING = "TRIGGER_MISSING"


class BasisKind(Enum):
    """What allowed a link."""

    OWN_DOMAIN = "OWN_DOMAIN"
    CONSENT = "CONSENT"
    LEGAL_BASIS = "LEGAL_BASIS"


@dataclass(frozen=True)
class CheckOutcome:
    """Allowed (with its basis) or denied (with the reason); ``rule_id`` when a rule decided."""

    allowed: bool
    basis_kind: BasisKind | None = None
    consent_name: str = ""
    rule_id: str = ""
    legal_basis: str = ""
    denial: Denial | None = None

    @property
    def basis(self) -> str:
        """The consent name, the policy rule id or ``own-domain`` (empty when denied)."""
        if not self.allowed:
            return ""
        return self.consent_name or self.rule_id or OWN_DOMAIN


def evaluate(
    decision: Decision,
    catalogue: PurposeCatalogue,
    purpose_id: str,
    target: str,
    consents: Iterable[Consent],
    now: datetime,
) -> CheckOutcome:
    """Combine the policy decision with the subject's consents for ``purpose_id``."""
    verdict = decision.verdict
    if verdict is Verdict.NEVER:
        return CheckOutcome(False, rule_id=decision.rule_id, denial=Denial.NEVER)
    if verdict is Verdict.NO_RULE:
        return CheckOutcome(False, denial=Denial.NO_RULE)
    if verdict is Verdict.TRIGGER_MISSING:
        return CheckOutcome(False, rule_id=decision.rule_id, denial=Denial.TRIGGER_MISSING)
    if verdict is Verdict.OWN_DOMAIN:
        return CheckOutcome(True, BasisKind.OWN_DOMAIN, legal_basis=decision.legal_basis)
    if verdict is Verdict.LEGAL_BASIS:
        if target not in catalogue.current(purpose_id).domains:
            return _uncovered(decision)
        return CheckOutcome(
            True, BasisKind.LEGAL_BASIS, rule_id=decision.rule_id, legal_basis=decision.legal_basis
        )
    return _by_consent(decision, catalogue, purpose_id, target, consents, now)


def _by_consent(
    decision: Decision,
    catalogue: PurposeCatalogue,
    purpose_id: str,
    target: str,
    consents: Iterable[Consent],
    now: datetime,
) -> CheckOutcome:
    relevant = sorted(
        (c for c in consents if c.purpose == purpose_id), key=lambda c: c.given_at, reverse=True
    )
    states = {c.state(now) for c in relevant}
    for consent in relevant:
        purpose = catalogue.version_of(purpose_id, consent.purpose_version)
        if consent.state(now) is ConsentState.ACTIVE and target in purpose.domains:
            return CheckOutcome(
                True,
                BasisKind.CONSENT,
                consent_name=consent.name,
                rule_id=decision.rule_id,
                legal_basis=purpose.legal_basis,
            )
    if ConsentState.ACTIVE in states:
        return _uncovered(decision)
    if ConsentState.WITHDRAWN in states:
        return CheckOutcome(False, rule_id=decision.rule_id, denial=Denial.CONSENT_WITHDRAWN)
    if ConsentState.EXPIRED in states:
        return CheckOutcome(False, rule_id=decision.rule_id, denial=Denial.CONSENT_EXPIRED)
    return CheckOutcome(False, rule_id=decision.rule_id, denial=Denial.NO_CONSENT)


def _uncovered(decision: Decision) -> CheckOutcome:
    return CheckOutcome(
        False, rule_id=decision.rule_id, denial=Denial.PURPOSE_DOES_NOT_COVER_DOMAIN
    )
