"""Objections to surveys (AVG art. 21, ``survey-opt-out``), kept by the surveys service.

An objection is in force from the moment it is recorded: the citizen's row is locked first,
as every invitation decision locks it, so no invitation is made after the objection commits,
and the citizen's unanswered invitations are cancelled (their addresses erased) in the same
transaction. Recording an objection that is in force changes nothing. Withdrawing it makes
invitations possible again (subject to the other rules).
"""

from __future__ import annotations

from dataclasses import dataclass

from stadskamer.common.auth import Principal
from stadskamer.common.errors import NotFound
from stadskamer.surveys.adapters.objections import ObjectionRepository
from stadskamer.surveys.adapters.repository import InvitationRepository
from stadskamer.surveys.domain import Objection
from stadskamer.surveys.inputs import invalid, subject_violations
from stadskamer.surveys.service import FRONT_END_ROLES, OPT_OUT, Dependencies, log, require


@dataclass(frozen=True)
class Recorded:
    """The objection as it stands, and how many invitations recording it cancelled."""

    objection: Objection
    cancelled_invitations: int


class ObjectionService:
    """RecordObjection and WithdrawObjection."""

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    def record(self, caller: Principal, tagged: bytes) -> Recorded:
        """Put the citizen's objection in force and cancel unanswered invitations."""
        invalid(subject_violations("subject", tagged), "objection")
        require(caller, FRONT_END_ROLES)
        citizen = self._deps.citizens.claim(tagged)
        subject = citizen.pseudonym
        now = self._deps.clock()
        with self._deps.unit_of_work() as uow:
            InvitationRepository(uow.session).lock_subject(subject, citizen.reference)
            objections = ObjectionRepository(uow.session)
            cancelled = 0
            if objections.record(subject, now):
                cancelled = InvitationRepository(uow.session).cancel_open(subject, now)
            objection = objections.get(subject)
            assert objection is not None
            log(
                self._deps,
                caller.subject,
                "surveys.object",
                subject=citizen.audit_subject,
                processing=OPT_OUT,
            )
            uow.commit()
        if cancelled:
            self._deps.scrubber.scrub()
        return Recorded(objection, cancelled)

    def withdraw(self, caller: Principal, tagged: bytes) -> Objection:
        """Withdraw the objection in force; NOT_FOUND when there is none."""
        invalid(subject_violations("subject", tagged), "objection")
        require(caller, FRONT_END_ROLES)
        citizen = self._deps.citizens.claim(tagged)
        subject = citizen.pseudonym
        with self._deps.unit_of_work() as uow:
            InvitationRepository(uow.session).lock_subject(subject, citizen.reference)
            objections = ObjectionRepository(uow.session)
            if not objections.withdraw(subject, self._deps.clock()):
                raise NotFound("there is no objection in force", "NO_OBJECTION")
            objection = objections.get(subject)
            assert objection is not None
            log(
                self._deps,
                caller.subject,
                "surveys.object-withdraw",
                subject=citizen.audit_subject,
                processing=OPT_OUT,
            )
            uow.commit()
        return objection
