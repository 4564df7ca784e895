"""Delivering invitations: attach an address, hand out a token, send, erase the address.

A token is made at delivery time and only its hash is stored, so the link exists nowhere but
in the message. Delivery is at least once and in three steps:

1. one transaction stores the new token's hash (a token handed out for an earlier attempt
   stops working) and the processing record of the use of the address;
2. the message goes to the delivery adapter (file outbox or SMTP);
3. one transaction marks the invitation delivered and erases (NULLs) the sealed address;
   then the database files are scrubbed of the old values.

A failure in step 2 or 3 leaves the invitation PENDING_DELIVERY with its sealed address; the
delivery worker retries it (with a fresh token). The address is never logged.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from stadskamer.common.auth import Principal
from stadskamer.common.errors import FailedPrecondition, NotFound
from stadskamer.surveys.adapters.repository import InvitationRepository
from stadskamer.surveys.domain import (
    INVITATION_PREFIX,
    AddressKind,
    Invitation,
    new_token,
    token_hash,
)
from stadskamer.surveys.inputs import Address, address_violations, invalid, resource_id
from stadskamer.surveys.notices import invitation_message
from stadskamer.surveys.service import INVITE_ROLES, Dependencies, log, require

DELIVERY_ACTOR = "surveys-delivery"
_log = logging.getLogger("stadskamer.surveys.delivery")


class DeliveryService:
    """AttachContactAddress, and the delivery of pending invitations."""

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    def attach(self, caller: Principal, name: str, address: Address) -> Invitation:
        """Give an invitation that awaits an address its address, then deliver it."""
        invalid(address_violations("contact_address", address), "address")
        invitation_id = resource_id(name, INVITATION_PREFIX)
        require(caller, INVITE_ROLES)
        kind = AddressKind(address.kind)
        if kind not in self._deps.delivery.kinds:
            raise FailedPrecondition(
                "this deployment cannot deliver to this kind of address",
                "ADDRESS_KIND_NOT_SUPPORTED",
                {"kind": kind.name},
            )
        sealed = self._deps.keys.addresses.seal(address.value, f"{invitation_id}/address")
        with self._deps.unit_of_work() as uow:
            repository = InvitationRepository(uow.session)
            attached = repository.attach_address(invitation_id, kind, sealed)
            record = repository.get(invitation_id)
            if record is None:
                raise NotFound("no such invitation", "INVITATION_NOT_FOUND")
            if not attached:
                raise FailedPrecondition(
                    "this invitation does not await an address",
                    "ADDRESS_NOT_AWAITED",
                    {"delivery_status": record.invitation.status_at(self._deps.clock()).name},
                )
            reference = repository.reference(record.invitation.subject)
            log(
                self._deps,
                caller.subject,
                "surveys.attach-address",
                subject=self._deps.citizens.record_subject(reference),
                reference=record.invitation.name,
            )
            uow.commit()
        self.deliver(invitation_id)
        return self.current(invitation_id)

    def current(self, invitation_id: str) -> Invitation:
        """An invitation as stored now."""
        with self._deps.unit_of_work() as uow:
            record = InvitationRepository(uow.session).get(invitation_id)
        if record is None:
            raise NotFound("no such invitation", "INVITATION_NOT_FOUND")
        return record.invitation

    def deliver(self, invitation_id: str) -> bool:
        """Deliver one pending invitation; False when it is not pending or sending failed."""
        deps = self._deps
        token = new_token()
        hashed = token_hash(token)
        expires = deps.clock() + timedelta(days=deps.token_days)
        with deps.unit_of_work() as uow:
            repository = InvitationRepository(uow.session)
            if not repository.hand_out_token(invitation_id, hashed, expires):
                return False
            record = repository.get(invitation_id)
            assert record is not None and record.address_sealed is not None
            invitation = record.invitation
            address = deps.keys.addresses.open(record.address_sealed, f"{invitation_id}/address")
            log(
                deps,
                DELIVERY_ACTOR,
                "surveys.deliver",
                subject=deps.citizens.record_subject(repository.reference(invitation.subject)),
                reference=invitation.name,
            )
            uow.commit()
        kind = invitation.address_kind or AddressKind.EMAIL
        message = invitation_message(
            f"invitation-{invitation_id}-{hashed[:4].hex()}",
            kind,
            address,
            deps.link_base + token,
            expires,
        )
        try:
            deps.delivery.send(message)
        except Exception as error:  # any failure of the mail system: retried later
            _log.warning(
                "delivery failed invitation=%s error=%s", invitation.name, type(error).__name__
            )
            return False
        with deps.unit_of_work() as uow:
            delivered = InvitationRepository(uow.session).mark_delivered(
                invitation_id, hashed, deps.clock()
            )
            uow.commit()
        deps.scrubber.scrub()
        return delivered

    def deliver_pending(self, limit: int = 100) -> int:
        """Deliver up to ``limit`` pending invitations, oldest first; how many were delivered."""
        with self._deps.unit_of_work() as uow:
            pending = InvitationRepository(uow.session).pending(limit)
        return sum(1 for invitation_id in pending if self.deliver(invitation_id))
