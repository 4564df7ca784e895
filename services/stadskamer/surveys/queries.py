"""Reading: one invitation, the survey insights, and the improvement actions.

An invitation is found by name or by the source reference it was created with (looked up by
its keyed hash). The insights are computed from the stored facts by
:mod:`stadskamer.surveys.insights`. Improvements are recorded by coordinators (idempotent by
request_id, kept as its keyed digest; texts sealed) and read by anyone as the quarter's public
top 5.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import uuid4

from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, NotFound
from stadskamer.surveys.adapters.answers import AnswerRepository
from stadskamer.surveys.adapters.improvement_store import (
    DuplicateImprovement,
    ImprovementRecord,
    ImprovementRepository,
)
from stadskamer.surveys.adapters.repository import InvitationRepository
from stadskamer.surveys.domain import INVITATION_PREFIX, Invitation
from stadskamer.surveys.improvements import (
    TOP,
    Improvement,
    ImprovementDraft,
    draft_violations,
    quarter_violations,
    ranked,
    signals_of,
)
from stadskamer.surveys.inputs import REFERENCE, invalid, resource_id
from stadskamer.surveys.insights import GroupBy, Insights, survey_insights
from stadskamer.surveys.service import (
    ANALYST_ROLES,
    COORDINATOR_ROLES,
    INVITE_ROLES,
    Dependencies,
    log,
    require,
)

MAX_PERIOD = timedelta(days=5 * 366)


class SurveyQueries:
    """GetInvitation, GetSurveyInsights, CreateImprovement and ListImprovements."""

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    def invitation(self, caller: Principal, name: str, source_reference: str) -> Invitation:
        """One invitation by name or by source reference (exactly one of them)."""
        if bool(name) == bool(source_reference):
            raise InvalidArgument.for_field("name", "give name or source_reference")
        if source_reference and not REFERENCE.match(source_reference):
            raise InvalidArgument.for_field("source_reference", "not a source reference")
        invitation_id = resource_id(name, INVITATION_PREFIX) if name else ""
        require(caller, INVITE_ROLES)
        with self._deps.unit_of_work() as uow:
            repository = InvitationRepository(uow.session)
            if invitation_id:
                record = repository.get(invitation_id)
            else:
                record = repository.by_reference(self._deps.keys.reference_hash(source_reference))
            reference = repository.reference(record.invitation.subject) if record else None
        if record is None:
            raise NotFound("no such invitation", "INVITATION_NOT_FOUND")
        invitation = record.invitation
        log(
            self._deps,
            caller.subject,
            "surveys.invitation.read",
            subject=self._deps.citizens.record_subject(reference),
            reference=invitation.name,
        )
        return invitation

    def insights(
        self, caller: Principal, start: datetime, end: datetime, group_by: int
    ) -> Insights:
        """The figures of the invitations created in [start, end)."""
        if group_by not in GroupBy.__members__.values():
            raise InvalidArgument.for_field("group_by", "not a GroupBy value")
        if not start < end <= start + MAX_PERIOD:
            raise InvalidArgument.for_field("end_time", "after start_time, at most 5 years later")
        require(caller, ANALYST_ROLES)
        with self._deps.unit_of_work() as uow:
            rows = AnswerRepository(uow.session).insight_rows(start, end)
        log(self._deps, caller.subject, "surveys.insights")
        return survey_insights(rows, start, end, GroupBy(group_by), self._deps.min_group_size)

    def create_improvement(self, caller: Principal, draft: ImprovementDraft) -> Improvement:
        """Record an improvement; a retry with the same request_id returns the first one."""
        invalid(draft_violations(draft), "improvement")
        require(caller, COORDINATOR_ROLES)
        identifier = str(uuid4())
        texts = self._deps.keys.texts
        item = Improvement(
            id=identifier,
            quarter=draft.quarter,
            title=draft.title,
            description=draft.description,
            signals=signals_of(draft),
            signal_count=draft.signal_count,
            created_at=self._deps.clock(),
        )
        digest = self._deps.keys.request_digest(draft.request_id)
        record = ImprovementRecord(
            item,
            digest,
            texts.seal(draft.title, f"{identifier}/title"),
            texts.seal(draft.description, f"{identifier}/description"),
            caller.subject[:255],
        )
        try:
            with self._deps.unit_of_work() as uow:
                ImprovementRepository(uow.session).add(record)
                uow.commit()
        except DuplicateImprovement:
            with self._deps.unit_of_work() as uow:
                first = ImprovementRepository(uow.session).by_request_digest(digest)
            assert first is not None
            item = first.improvement
        return self._ranked(item.quarter, item.id)

    def top(self, quarter: str) -> tuple[list[Improvement], int]:
        """The quarter's public top 5 and how many improvements it has in all."""
        invalid(quarter_violations("quarter", quarter), "quarter")
        everything = self._quarter(quarter)
        return everything[:TOP], len(everything)

    def _ranked(self, quarter: str, identifier: str) -> Improvement:
        return next(i for i in self._quarter(quarter) if i.id == identifier)

    def _quarter(self, quarter: str) -> list[Improvement]:
        texts = self._deps.keys.texts
        with self._deps.unit_of_work() as uow:
            records = ImprovementRepository(uow.session).of_quarter(quarter)
        return ranked(
            [
                replace(
                    r.improvement,
                    title=texts.open(r.title_sealed, f"{r.improvement.id}/title"),
                    description=texts.open(r.description_sealed, f"{r.improvement.id}/description"),
                )
                for r in records
            ]
        )
