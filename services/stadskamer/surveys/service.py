"""What the surveys use cases share: their collaborators, roles, purposes and the log.

Every processing of personal data appends a processing record before its transaction
commits or its answer is returned; when the log cannot be written the use case fails with
UNAVAILABLE and nothing is done (fail-closed). A record names its citizen by the tagged
``audit/onderzoek`` pseudonym of the pseudonym service (:mod:`stadskamer.surveys.citizens`),
never by the onderzoek pseudonym itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.processing_log import ProcessingLog, ProcessingRecord
from stadskamer.surveys.citizens import Citizens
from stadskamer.surveys.domain import DEFAULT_TOKEN_DAYS, DOMAIN, InvitationRules, Sampler
from stadskamer.surveys.insights import DEFAULT_MIN_GROUP_SIZE
from stadskamer.surveys.panel import DEFAULT_DISTRICTS, DEFAULT_REST_DAYS
from stadskamer.surveys.ports import Consents, Delivery, Scrubber
from stadskamer.surveys.sealing import Keyring

DEFAULT_ASPECTS = ("bejegening", "snelheid", "duidelijkheid", "uitkomst", "bereikbaarheid")
DEFAULT_LINK_BASE = "https://enquete.gemeente.example/antwoord?t="

INVITE_ROLES = ("agent", "system", "service")
FRONT_END_ROLES = ("agent", "system")
COORDINATOR_ROLES = ("coordinator",)
ANALYST_ROLES = ("analyst",)
SWEEP_ROLES = ("system", "service")
EVENT_ROLES = ("service",)

SURVEY_PURPOSE = "satisfaction-survey"
SURVEY_BASIS = "AVG art. 6 lid 1 sub e (taak van algemeen belang: kwaliteit van de dienstverlening)"
OPT_OUT_PURPOSE = "survey-opt-out"
OPT_OUT_BASIS = "AVG art. 21 (recht van bezwaar)"
PANEL_PURPOSE = "research-panel"
PANEL_BASIS = "AVG art. 6 lid 1 sub a (toestemming)"
FOLLOWUP_PURPOSE = "survey-followup-call"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Dependencies:
    """What the use cases work with, wired by ``bootstrap`` (fakes in tests)."""

    unit_of_work: Callable[[], UnitOfWork]
    citizens: Citizens
    consents: Consents
    delivery: Delivery
    keys: Keyring
    processing_log: ProcessingLog
    scrubber: Scrubber
    rules: InvitationRules
    sampler: Sampler
    aspects: tuple[str, ...] = DEFAULT_ASPECTS
    districts: tuple[str, ...] = DEFAULT_DISTRICTS
    link_base: str = DEFAULT_LINK_BASE
    token_days: int = DEFAULT_TOKEN_DAYS
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    panel_rest_days: int = DEFAULT_REST_DAYS
    clock: Clock = utc_now


def require(caller: Principal, roles: tuple[str, ...]) -> None:
    """PERMISSION_DENIED unless the caller acts for onderzoek with one of ``roles``."""
    caller.require_domain(DOMAIN)
    caller.require_role(*roles)


@dataclass(frozen=True)
class Processing:
    """What a processing record says besides its name and status."""

    purpose: str = SURVEY_PURPOSE
    legal_basis: str = SURVEY_BASIS
    target_domain: str = DOMAIN


SURVEY = Processing()
OPT_OUT = Processing(OPT_OUT_PURPOSE, OPT_OUT_BASIS)
PANEL = Processing(PANEL_PURPOSE, PANEL_BASIS)


def record(
    deps: Dependencies,
    actor: str,
    operation: str,
    status: str = "OK",
    subject: bytes = b"",
    reference: str = "",
    processing: Processing = SURVEY,
) -> ProcessingRecord:
    """The processing record of ``operation``; ``subject`` is the citizen's record subject
    (tagged ``audit/onderzoek``: from a claim, or :meth:`Citizens.record_subjects`)."""
    return ProcessingRecord.now(
        operation,
        status,
        deps.clock,
        purpose=processing.purpose,
        legal_basis=processing.legal_basis,
        actor=actor[:255],
        requester_domain=DOMAIN,
        target_domain=processing.target_domain,
        reference=reference[:255],
        subject_tagged=subject,
    )


def log(
    deps: Dependencies,
    actor: str,
    operation: str,
    status: str = "OK",
    subject: bytes = b"",
    reference: str = "",
    processing: Processing = SURVEY,
) -> None:
    """Append the processing record of ``operation`` (fail-closed: UNAVAILABLE)."""
    deps.processing_log.append(
        record(deps, actor, operation, status, subject, reference, processing)
    )
