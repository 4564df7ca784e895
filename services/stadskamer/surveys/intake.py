"""Deciding about invitations: from an API request or from another service's event.

A trigger is known by its key (``request:<hex of the request_id's keyed digest>``, see
:mod:`stadskamer.common.request_ids`, or ``event:<event_id>``); whatever came of it is stored
once under that key's keyed digest (``Keyring.trigger_key``: the id itself, which the sender
knows, is never stored), so a retried request or a redelivered event gets the first answer and
creates nothing. The subject is claimed before the transaction opens
(:mod:`stadskamer.surveys.citizens`): an API request's tagged onderzoek pseudonym at once, an
event's pushed pseudonym after its conversion under a link grant of the consent service
(refused: recorded as LINK_DENIED, no invitation); the citizen's stored reference is kept with
the citizen's row.
In the transaction the citizen's row is locked first, then the rules of
:func:`stadskamer.surveys.domain.screen` decide; the invitation, the fatigue clock, the
trigger's outcome and the processing record are written together or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from stadskamer.common.auth import Principal
from stadskamer.common.citizens import Citizen
from stadskamer.common.errors import FailedPrecondition, PermissionDenied
from stadskamer.surveys.adapters.records import InvitationRecord, TriggerRecord
from stadskamer.surveys.adapters.repository import DuplicateTrigger, InvitationRepository
from stadskamer.surveys.delivery import DeliveryService
from stadskamer.surveys.domain import (
    AddressKind,
    Channel,
    Context,
    DeliveryStatus,
    Invitation,
    Outcome,
    SkipReason,
    TriggerKind,
    screen,
)
from stadskamer.surveys.inputs import Address, InvitationDraft, draft_violations, invalid
from stadskamer.surveys.ports import LinkDenied
from stadskamer.surveys.service import EVENT_ROLES, INVITE_ROLES, Dependencies, log, require

INVITED = "INVITED"
IGNORED = "IGNORED"
_log = logging.getLogger("stadskamer.surveys")


@dataclass(frozen=True)
class Admission:
    """What came of a trigger: an invitation, or the reason there is none."""

    invitation: Invitation | None
    skip: SkipReason | None
    replayed: bool = False


@dataclass(frozen=True)
class IncomingEvent:
    """An event that may lead to an invitation. ``encrypted_subject`` empty: anonymous;
    otherwise a tagged pseudonym of ``sender_domain`` (``subject_field`` names it)."""

    event_id: str
    kind: str
    context: Context
    encrypted_subject: bytes
    sender_domain: str
    reference: str
    subject_field: str = "encrypted_subject"


@dataclass(frozen=True)
class _Trigger:
    key: str
    kind: str
    context: Context
    citizen: Citizen | None
    reference: str = ""
    address: Address | None = None


def require_deliverable(deps: Dependencies, address: Address | None) -> None:
    """FAILED_PRECONDITION when the configured delivery cannot reach this kind of address."""
    if address is not None and AddressKind(address.kind) not in deps.delivery.kinds:
        raise FailedPrecondition(
            "this deployment cannot deliver to this kind of address",
            "ADDRESS_KIND_NOT_SUPPORTED",
            {"kind": AddressKind(address.kind).name},
        )


class InvitationIntake:
    """CreateInvitation and DeliverEvent."""

    def __init__(self, deps: Dependencies, deliveries: DeliveryService) -> None:
        self._deps = deps
        self._deliveries = deliveries

    def create(self, caller: Principal, draft: InvitationDraft) -> Admission:
        """Invite (or skip) a citizen by API; a retry with the same request_id replays."""
        invalid(draft_violations(draft), "invitation")
        require(caller, INVITE_ROLES)
        require_deliverable(self._deps, draft.address)
        key = f"request:{self._deps.keys.request_digest(draft.request_id).hex()}"
        earlier = self._replay(key)
        if earlier is not None:
            invitation = earlier.invitation
            log(
                self._deps,
                caller.subject,
                "surveys.invite",
                "REPLAYED",
                self._stored_subject(invitation.subject) if invitation else b"",
                invitation.name if invitation else key,
            )
            return earlier
        context = Context(
            TriggerKind(draft.trigger),
            Channel(draft.channel),
            draft.topic,
            draft.org_unit,
            Outcome(draft.complaint_outcome) if draft.complaint_outcome else None,
        )
        try:
            citizen = self._deps.citizens.claim(draft.subject) if draft.subject else None
        except PermissionDenied as refusal:
            # A concurrent retry with the same bytes claimed them first: answer as a replay.
            earlier = self._replay(key) if refusal.reason == "TAG_SPENT" else None
            if earlier is None:
                raise
            return earlier
        trigger = _Trigger(key, "api", context, citizen, draft.source_reference, draft.address)
        admission = self._admit(caller.subject, trigger)
        invitation = admission.invitation
        if invitation is None or invitation.status is not DeliveryStatus.PENDING_DELIVERY:
            return admission
        self._deliveries.deliver(invitation.id)
        return Admission(self._deliveries.current(invitation.id), None, admission.replayed)

    def receive(self, caller: Principal, event: IncomingEvent) -> bool:
        """Handle one event; True when it was received before (a redelivery)."""
        caller.require_role(*EVENT_ROLES)
        caller.require_domain(event.sender_domain)
        key = f"event:{event.event_id}"
        if self._replay(key) is not None:
            return True
        citizen = None
        if event.encrypted_subject:
            try:
                citizen = self._deps.citizens.pushed(
                    event.encrypted_subject, event.sender_domain, event.subject_field
                )
            except LinkDenied as denied:
                return self._denied(caller, key, event.kind, denied.reason)
        trigger = _Trigger(key, event.kind, event.context, citizen, event.reference)
        return self._admit(caller.subject, trigger).replayed

    def ignore(self, caller: Principal, event_id: str) -> bool:
        """Acknowledge an event of a type this service does not act on (recorded once)."""
        caller.require_role(*EVENT_ROLES)
        return self._record_only(f"event:{event_id}", "other", IGNORED, "")

    def _denied(self, caller: Principal, key: str, kind: str, reason: str) -> bool:
        log(self._deps, caller.subject, "surveys.invite", f"DENIED:{reason}"[:64], reference=key)
        return self._record_only(key, kind, SkipReason.LINK_DENIED.name, reason)

    def _record_only(self, key: str, kind: str, outcome: str, detail: str) -> bool:
        stored = self._deps.keys.trigger_key(key)
        record = TriggerRecord(stored, kind, self._deps.clock(), outcome, detail[:64])
        try:
            with self._deps.unit_of_work() as uow:
                InvitationRepository(uow.session).add_trigger(record)
                uow.commit()
        except DuplicateTrigger:
            return True
        return False

    def _admit(self, actor: str, trigger: _Trigger) -> Admission:
        deps = self._deps
        now = deps.clock()
        draw = deps.sampler.draw(trigger.key)
        try:
            with deps.unit_of_work() as uow:
                repository = InvitationRepository(uow.session)
                skip: SkipReason | None = SkipReason.ANONYMOUS
                citizen = trigger.citizen
                if citizen is not None:
                    repository.lock_subject(citizen.pseudonym, citizen.reference)
                    skip = screen(
                        deps.rules,
                        trigger.context,
                        False,
                        repository.objected(citizen.pseudonym),
                        draw,
                        repository.last_invited(citizen.pseudonym),
                        now,
                    )
                invitation = None
                if skip is None and citizen is not None:
                    invitation = self._invite(repository, trigger, citizen.pseudonym, now)
                outcome = skip.name if skip is not None else INVITED
                repository.add_trigger(
                    TriggerRecord(
                        deps.keys.trigger_key(trigger.key),
                        trigger.kind,
                        now,
                        outcome,
                        invitation_id=invitation.id if invitation else None,
                    )
                )
                status = "OK" if invitation else f"SKIPPED:{outcome}"
                log(
                    deps,
                    actor,
                    "surveys.invite",
                    status,
                    citizen.audit_subject if citizen else b"",
                    invitation.name if invitation else trigger.key,
                )
                uow.commit()
        except DuplicateTrigger:
            earlier = self._replay(trigger.key)
            assert earlier is not None
            return earlier
        return Admission(invitation, skip)

    def _invite(
        self, repository: InvitationRepository, trigger: _Trigger, subject: bytes, now: datetime
    ) -> Invitation:
        keys = self._deps.keys
        identifier = str(uuid4())
        address = trigger.address
        invitation = Invitation(
            id=identifier,
            subject=subject,
            context=trigger.context,
            status=(
                DeliveryStatus.PENDING_DELIVERY if address else DeliveryStatus.AWAITING_ADDRESS
            ),
            created_at=now,
            address_kind=AddressKind(address.kind) if address else None,
        )
        reference = trigger.reference
        repository.add(
            InvitationRecord(
                invitation,
                keys.reference_hash(reference) if reference else None,
                keys.texts.seal(reference, f"{identifier}/reference") if reference else None,
                keys.addresses.seal(address.value, f"{identifier}/address") if address else None,
            )
        )
        repository.set_last_invited(subject, now)
        return invitation

    def _stored_subject(self, pseudonym: bytes) -> bytes:
        with self._deps.unit_of_work() as uow:
            reference = InvitationRepository(uow.session).reference(pseudonym)
        return self._deps.citizens.record_subject(reference)

    def _replay(self, key: str) -> Admission | None:
        with self._deps.unit_of_work() as uow:
            repository = InvitationRepository(uow.session)
            earlier = repository.trigger(self._deps.keys.trigger_key(key))
            if earlier is None:
                return None
            invitation = None
            if earlier.invitation_id is not None:
                record = repository.get(earlier.invitation_id)
                invitation = record.invitation if record else None
        skip = None if earlier.outcome in (INVITED, IGNORED) else SkipReason[earlier.outcome]
        return Admission(invitation, skip, replayed=True)
