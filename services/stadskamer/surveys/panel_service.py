"""The research panel's use cases: join, draw a sample, sweep.

Joining needs an active ``research-panel`` consent: the consent service checks it with the
tagged onderzoek pseudonym issued for the request, which is then claimed; the member keeps
the name of that consent, sealed under the member's data key. Each draw re-checks that
consent (by name, with the consent service) for every candidate it is about to take, and a
sweep checks every active member: a member without an active consent (or with no consent
name kept) leaves the panel at once, in its own transaction, which erases the sealed address and
deletes the member's data key (crypto-shredding); the database files are then scrubbed.
Past survey answers are not touched, so the statistics keep them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from uuid import uuid4

from sqlalchemy.exc import IntegrityError

from stadskamer.common.auth import Principal
from stadskamer.common.errors import FailedPrecondition
from stadskamer.common.processing_log import append_all
from stadskamer.surveys.adapters.panel_store import DrawRecord, PanelRepository, SealedAddress
from stadskamer.surveys.adapters.repository import InvitationRepository
from stadskamer.surveys.domain import AddressKind
from stadskamer.surveys.inputs import invalid
from stadskamer.surveys.intake import require_deliverable
from stadskamer.surveys.notices import approach_message
from stadskamer.surveys.panel import (
    DRAW_PREFIX,
    PURPOSE,
    TARGET_DOMAIN,
    DrawRequest,
    JoinRequest,
    MemberState,
    PanelMember,
    draw_violations,
    join_violations,
    strata_of,
)
from stadskamer.surveys.sampler import Candidate, StratumOutcome, Target, draw_sample
from stadskamer.surveys.service import (
    ANALYST_ROLES,
    FRONT_END_ROLES,
    PANEL,
    SWEEP_ROLES,
    Dependencies,
    log,
    require,
)
from stadskamer.surveys.service import record as processing_record

_log = logging.getLogger("stadskamer.surveys.panel")


@dataclass(frozen=True)
class Drawn:
    """A sample: the members, how each target was met, and who left for want of consent."""

    draw_id: str
    members: list[PanelMember]
    strata: list[StratumOutcome]
    requested: int
    left_without_consent: int
    replayed: bool = False

    @property
    def name(self) -> str:
        """The resource name ``panelDraws/{id}``."""
        return DRAW_PREFIX + self.draw_id


class PanelService:
    """JoinPanel, DrawPanelSample and SweepPanel."""

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    def join(self, caller: Principal, join: JoinRequest) -> PanelMember:
        """Add (or update) a member with an active research-panel consent."""
        deps = self._deps
        invalid(join_violations(join, deps.districts), "panel member")
        require(caller, FRONT_END_ROLES)
        assert join.address is not None
        require_deliverable(deps, join.address)
        consent = deps.consents.check(join.subject, PURPOSE, TARGET_DOMAIN)
        if consent is None:
            raise FailedPrecondition(
                "joining the research panel needs an active research-panel consent",
                "NO_PANEL_CONSENT",
            )
        citizen = deps.citizens.claim(join.subject)
        subject = citizen.pseudonym
        now = deps.clock()
        with deps.unit_of_work() as uow:
            InvitationRepository(uow.session).lock_subject(subject, citizen.reference)
            panel = PanelRepository(uow.session)
            existing = panel.by_subject(subject)
            member_id = existing.id if existing else str(uuid4())
            sealer, wrapped = deps.keys.new_member_key(member_id)
            kind = AddressKind(join.address.kind)
            sealed = SealedAddress(
                kind, sealer.seal(join.address.value, f"{member_id}/address"), wrapped
            )
            member = PanelMember(
                member_id,
                subject,
                strata_of(join),
                MemberState.ACTIVE,
                now,
                last_drawn_at=existing.last_drawn_at if existing else None,
            )
            consent_sealed = sealer.seal(consent, f"{member_id}/consent")
            if existing is None:
                panel.add(member, sealed, consent_sealed)
            else:
                panel.rejoin(member, sealed, consent_sealed)
            log(
                deps,
                caller.subject,
                "surveys.panel-join",
                subject=citizen.audit_subject,
                reference=member.name,
                processing=PANEL,
            )
            uow.commit()
        if existing is not None:
            deps.scrubber.scrub()
        return member

    def draw(self, caller: Principal, request: DrawRequest) -> Drawn:
        """Draw a sample meeting the targets as far as the panel allows; approach the drawn."""
        deps = self._deps
        invalid(draw_violations(request), "draw")
        require(caller, ANALYST_ROLES)
        earlier = self._replay(request)
        if earlier is not None:
            return earlier
        now = deps.clock()
        with deps.unit_of_work() as uow:
            members = {m.id: m for m in PanelRepository(uow.session).active()}
        candidates = [
            Candidate(m.id, m.strata.values())
            for m in members.values()
            if m.rested(now, deps.panel_rest_days)
        ]
        sample = draw_sample(
            candidates,
            request.size,
            request.targets,
            deps.sampler.generator(f"draw:{request.request_id}"),
            lambda c: self._consented(members[c.id]),
            request.fill_shortfall,
        )
        left = self._leave_all(caller, [members[c.id] for c in sample.refused])
        drawn = [members[c.id] for c in sample.drawn]
        record = DrawRecord(
            str(uuid4()),
            deps.keys.request_digest(request.request_id),
            request.study,
            request.size,
            left,
            _report(sample.strata),
            now,
            caller.subject[:255],
            tuple(m.id for m in drawn),
        )
        try:
            with deps.unit_of_work() as uow:
                panel = PanelRepository(uow.session)
                panel.add_draw(record)
                panel.mark_drawn(record.member_ids, now)
                references = InvitationRepository(uow.session).references(
                    [m.subject for m in drawn]
                )
                self._log_draw(caller, record.id, references)
                uow.commit()
        except IntegrityError:
            replayed = self._replay(request)
            assert replayed is not None
            return replayed
        for member in drawn:
            self._approach(member, request.study, record.id)
        drawn = [replace(m, last_drawn_at=now) for m in drawn]
        return Drawn(record.id, drawn, sample.strata, request.size, left)

    def _log_draw(self, caller: Principal, draw_id: str, references: list[bytes | None]) -> None:
        """One processing record per drawn member (in one request where the log batches)."""
        records = [
            processing_record(
                self._deps,
                caller.subject,
                "surveys.panel-draw",
                subject=subject,
                reference=DRAW_PREFIX + draw_id,
                processing=PANEL,
            )
            for subject in self._deps.citizens.record_subjects(references)
        ]
        if records:
            append_all(self._deps.processing_log, records)

    def sweep(self, caller: Principal) -> tuple[int, int]:
        """Check every active member's consent; (checked, left). The sweep is recorded once,
        naming how many members it checked, before any consent is read."""
        require(caller, SWEEP_ROLES)
        with self._deps.unit_of_work() as uow:
            members = PanelRepository(uow.session).active()
        log(
            self._deps,
            caller.subject,
            "surveys.panel-sweep",
            reference=f"citizens={len(members)}",
            processing=PANEL,
        )
        gone = [m for m in members if not self._consented(m)]
        return len(members), self._leave_all(caller, gone)

    def _consented(self, member: PanelMember) -> bool:
        with self._deps.unit_of_work() as uow:
            kept = PanelRepository(uow.session).consent(member.id)
        if kept is None:
            return False
        sealed, wrapped = kept
        sealer = self._deps.keys.member_sealer(member.id, wrapped)
        return self._deps.consents.active(sealer.open(sealed, f"{member.id}/consent"))

    def _leave_all(self, caller: Principal, members: list[PanelMember]) -> int:
        left = 0
        for member in members:
            with self._deps.unit_of_work() as uow:
                if PanelRepository(uow.session).leave(member.id, self._deps.clock()):
                    reference = InvitationRepository(uow.session).reference(member.subject)
                    log(
                        self._deps,
                        caller.subject,
                        "surveys.panel-leave",
                        subject=self._deps.citizens.record_subject(reference),
                        reference=member.name,
                        processing=PANEL,
                    )
                    left += 1
                uow.commit()
        if members:
            self._deps.scrubber.scrub()
        return left

    def _approach(self, member: PanelMember, study: str, draw_id: str) -> None:
        deps = self._deps
        with deps.unit_of_work() as uow:
            sealed = PanelRepository(uow.session).address(member.id)
        if sealed is None:
            return
        sealer = deps.keys.member_sealer(member.id, sealed.wrapped_key)
        address = sealer.open(sealed.sealed, f"{member.id}/address")
        message = approach_message(f"panel-{draw_id}-{member.id}", sealed.kind, address, study)
        try:
            deps.delivery.send(message)
        except Exception as error:  # the mail system failed: the researchers see the sample
            _log.warning("approach failed member=%s error=%s", member.name, type(error).__name__)

    def _replay(self, request: DrawRequest) -> Drawn | None:
        with self._deps.unit_of_work() as uow:
            panel = PanelRepository(uow.session)
            record = panel.draw(self._deps.keys.request_digest(request.request_id))
            if record is None:
                return None
            members = panel.get(record.member_ids)
        return Drawn(
            record.id,
            members,
            _outcomes(record.report),
            record.requested_size,
            record.left_without_consent,
            replayed=True,
        )


def _report(outcomes: list[StratumOutcome]) -> str:
    return json.dumps(
        [
            {
                "dimension": o.target.dimension,
                "value": o.target.value,
                "share": o.target.share,
                "target_count": o.target_count,
                "drawn": o.drawn,
                "available": o.available,
            }
            for o in outcomes
        ]
    )


def _outcomes(report: str) -> list[StratumOutcome]:
    return [
        StratumOutcome(
            Target(item["dimension"], item["value"], float(item["share"])),
            int(item["target_count"]),
            int(item["drawn"]),
            int(item["available"]),
        )
        for item in json.loads(report)
    ]
