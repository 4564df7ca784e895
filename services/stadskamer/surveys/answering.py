"""Answering a survey by token, and the call-back tasks that answers can lead to.

SubmitResponse needs no login: the token is the credential. Exactly one submission per token
is accepted, also under concurrency: the transaction starts with one conditional UPDATE that
claims the token (``responded_at IS NULL``, delivered, not expired) and only the caller whose
UPDATE changed the row goes on. In the same transaction the answer is stored (texts sealed),
and with "you may call me back" the ``survey-followup-call`` consent is recorded by the
consent service (idempotent per invitation) and a call-back task opened for the org unit; a
failure anywhere rolls everything back, so the respondent can simply submit again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from stadskamer.common import paging
from stadskamer.common.auth import Principal
from stadskamer.common.errors import FailedPrecondition, InvalidArgument, NotFound
from stadskamer.surveys.adapters.answers import DONE, AnswerRepository, ResponseRecord, TaskRecord
from stadskamer.surveys.adapters.records import to_us
from stadskamer.surveys.adapters.repository import InvitationRepository
from stadskamer.surveys.domain import INVITATION_PREFIX, require_answerable, token_hash
from stadskamer.surveys.inputs import (
    Answer,
    answer_violations,
    code_violations,
    invalid,
    resource_id,
)
from stadskamer.surveys.ports import GrantedConsent
from stadskamer.surveys.service import COORDINATOR_ROLES, Dependencies, log, require

TASK_PREFIX = "callbackTasks/"
RESPONDENT = "respondent"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class CallbackTask:
    """A call-back task with the answer it is about (texts opened)."""

    id: str
    invitation: str
    org_unit: str
    source_reference: str
    score: int
    aspect: str
    what_was_good: str
    what_can_be_better: str
    consent: str
    done: bool
    created_at: datetime
    completed_at: datetime | None

    @property
    def name(self) -> str:
        """The resource name ``callbackTasks/{id}``."""
        return TASK_PREFIX + self.id


class AnsweringService:
    """SubmitResponse, ListCallbackTasks and CompleteCallbackTask."""

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    def submit(self, answer: Answer) -> GrantedConsent | None:
        """Accept one answer per token; the follow-up consent when a call-back was asked."""
        deps = self._deps
        invalid(answer_violations(answer), "answer")
        if answer.aspect not in deps.aspects:
            raise InvalidArgument.for_field(
                "aspect", f"not one of the aspects: {', '.join(deps.aspects)}"
            )
        hashed = token_hash(answer.token)
        now = deps.clock()
        with deps.unit_of_work() as uow:
            invitations = InvitationRepository(uow.session)
            claimed = invitations.claim_token(hashed, now)
            record = invitations.by_token(hashed)
            if record is None:
                raise NotFound("there is no survey with this link", "TOKEN_UNKNOWN")
            invitation = record.invitation
            if not claimed:
                require_answerable(invitation, now)
                raise FailedPrecondition("this survey link is not active", "TOKEN_NOT_ACTIVE")
            answers = AnswerRepository(uow.session)
            texts = deps.keys.texts
            answers.add_response(
                ResponseRecord(
                    invitation.id,
                    answer.score,
                    answer.aspect,
                    texts.seal(answer.what_was_good, f"{invitation.id}/good"),
                    texts.seal(answer.what_can_be_better, f"{invitation.id}/better"),
                    answer.may_call_back,
                    now,
                )
            )
            reference = invitations.reference(invitation.subject)
            granted = None
            if answer.may_call_back:
                if reference is None:
                    raise FailedPrecondition(
                        "this respondent cannot be named to the consent service",
                        "SUBJECT_NOT_REFERENCED",
                    )
                granted = deps.consents.grant_followup(
                    deps.keys.followup_request_id(invitation.id),
                    deps.citizens.fresh(reference),
                    answer.consent_purpose_version,
                )
                task_id = str(uuid4())
                consent = texts.seal(granted.name, f"{task_id}/consent")
                answers.add_task(task_id, invitation.id, invitation.context.org_unit, consent, now)
            log(
                deps,
                RESPONDENT,
                "surveys.respond",
                subject=deps.citizens.record_subject(reference),
                reference=invitation.name,
            )
            uow.commit()
        return granted

    def tasks(
        self, caller: Principal, org_unit: str, page_size: int, page_token: str
    ) -> tuple[list[CallbackTask], str]:
        """A page of the org unit's open tasks, oldest first, and the next page token."""
        invalid(code_violations("org_unit", org_unit), "listing")
        if page_size < 0:
            raise InvalidArgument.for_field("page_size", "must not be negative")
        require(caller, COORDINATOR_ROLES)
        fingerprint = paging.fingerprint(org_unit)
        position = paging.decode(page_token, fingerprint) if page_token else None
        after = (position[0], str(position[1])) if position else None
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        with self._deps.unit_of_work() as uow:
            rows = AnswerRepository(uow.session).open_tasks(org_unit, after, size + 1)
            references = InvitationRepository(uow.session).references(
                [row.subject for row in rows[:size]]
            )
        page = [self._open(row) for row in rows[:size]]
        subjects = self._deps.citizens.record_subjects(references)
        for row, subject in zip(rows[:size], subjects, strict=True):
            log(
                self._deps,
                caller.subject,
                "surveys.callback-task.read",
                subject=subject,
                reference=TASK_PREFIX + row.id,
            )
        token = ""
        if len(rows) > size:
            last = rows[size - 1]
            token = paging.encode(fingerprint, (to_us(last.created_at), last.id))
        return page, token

    def complete(self, caller: Principal, name: str) -> CallbackTask:
        """Mark an open task done."""
        task_id = resource_id(name, TASK_PREFIX)
        require(caller, COORDINATOR_ROLES)
        with self._deps.unit_of_work() as uow:
            answers = AnswerRepository(uow.session)
            done = answers.complete_task(task_id, self._deps.clock())
            row = answers.task(task_id)
            if row is None:
                raise NotFound("no such call-back task", "TASK_NOT_FOUND")
            if not done:
                raise FailedPrecondition("the call-back task is done already", "TASK_DONE")
            reference = InvitationRepository(uow.session).reference(row.subject)
            log(
                self._deps,
                caller.subject,
                "surveys.callback-task.complete",
                subject=self._deps.citizens.record_subject(reference),
                reference=TASK_PREFIX + row.id,
            )
            uow.commit()
        return self._open(row)

    def _open(self, row: TaskRecord) -> CallbackTask:
        texts = self._deps.keys.texts
        invitation = row.invitation_id
        reference = row.reference_sealed
        return CallbackTask(
            id=row.id,
            invitation=INVITATION_PREFIX + invitation,
            org_unit=row.org_unit,
            source_reference=(
                texts.open(reference, f"{invitation}/reference") if reference else ""
            ),
            score=row.score,
            aspect=row.aspect,
            what_was_good=texts.open(row.good_sealed, f"{invitation}/good"),
            what_can_be_better=texts.open(row.better_sealed, f"{invitation}/better"),
            consent=texts.open(row.consent_sealed, f"{row.id}/consent"),
            done=row.state == DONE,
            created_at=row.created_at,
            completed_at=row.completed_at,
        )
