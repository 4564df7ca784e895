"""Delivery on SQLite and PostgreSQL: attaching addresses, retries, erasure, the SMTP adapter."""

from __future__ import annotations

import pytest

from stadskamer.common.errors import FailedPrecondition, NotFound
from stadskamer.surveys.domain import AddressKind, DeliveryStatus
from stadskamer.surveys.inputs import Address
from tests.integration.surveys.support import ADDRESS, AGENT, World, answer
from tests.support.databases import dump_database_text


def test_an_invitation_awaiting_an_address_is_delivered_once_one_is_attached(
    world: World,
) -> None:
    created = world.cases.intake.create(
        AGENT, world.draft("r-1", address=None, source_reference="KL-1")
    )
    assert created.invitation is not None
    assert created.invitation.status is DeliveryStatus.AWAITING_ADDRESS
    assert world.delivery.messages == []
    invitation = world.cases.deliveries.attach(
        AGENT, created.invitation.name, Address(int(AddressKind.SMS), "+31612345678")
    )
    assert invitation.status is DeliveryStatus.DELIVERED
    assert invitation.address_kind is AddressKind.SMS
    [message] = world.delivery.messages
    assert message.address == "+31612345678" and "?t=" in message.body
    assert "+31612345678" not in dump_database_text(world.url)
    with pytest.raises(FailedPrecondition) as refused:
        world.cases.deliveries.attach(AGENT, invitation.name, Address(1, ADDRESS))
    assert refused.value.reason == "ADDRESS_NOT_AWAITED"
    assert world.cases.answering.submit(answer(world.last_token())) is None


def test_attaching_to_an_unknown_invitation_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.cases.deliveries.attach(
            AGENT, "invitations/00000000-0000-4000-8000-000000000000", Address(1, ADDRESS)
        )


def test_a_failed_delivery_stays_pending_and_is_retried_with_a_fresh_token(world: World) -> None:
    world.delivery.failing = True
    created = world.cases.intake.create(AGENT, world.draft("r-1"))
    assert created.invitation is not None
    assert created.invitation.status is DeliveryStatus.PENDING_DELIVERY
    assert world.cases.deliveries.deliver_pending() == 0
    world.delivery.failing = False
    assert world.cases.deliveries.deliver_pending() == 1
    assert world.cases.deliveries.deliver_pending() == 0
    assert world.statuses() == ["DELIVERED"] and len(world.delivery.messages) == 1
    assert world.cases.answering.submit(answer(world.last_token())) is None
