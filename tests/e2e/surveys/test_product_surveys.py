"""A product completed by a municipal back office (ProductCompleted) leads to one survey."""

from __future__ import annotations

import uuid

import grpc
import pytest

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.events.v1 import events_pb2 as epb
from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from tests.e2e.surveys.support import Callers
from tests.support.databases import dump_database_text
from tests.support.stack import Stack

BSN = "111222333"


def product_event(stack: Stack, bsn: str, domain: str = "burgerzaken") -> epb.Event:
    """A ProductCompleted event as the burgerzaken back office would send it for ``bsn``: the
    citizen issued into its domain when the passport was handed over."""
    return epb.Event(
        event_id=str(uuid.uuid4()),
        type=epb.ProductCompleted.DESCRIPTOR.full_name,
        source="burgerzaken-backoffice",
        product_completed=epb.ProductCompleted(
            product="paspoort",
            reference="AANVRAAG-2026-0042",
            domain=domain,
            channel=channel_pb2.CHANNEL_COUNTER,
            org_unit="stadswinkel-centrum",
            encrypted_subject=Callers(stack).subject(bsn, domain),
            subject_domain=domain,
        ),
    )


def test_a_completed_passport_invites_its_citizen_once(stack: Stack) -> None:
    callers = Callers(stack)
    office = callers.auth("burgerzaken-backoffice", ["burgerzaken"], ["service"])
    event = product_event(stack, BSN)
    request = epb.DeliverEventRequest(event=event)
    assert not callers.sink.DeliverEvent(request, metadata=office).duplicate
    assert callers.sink.DeliverEvent(request, metadata=office).duplicate
    analyst = callers.auth("analist", ["onderzoek"], ["agent"])
    reference = "products/paspoort/AANVRAAG-2026-0042"
    invitation = callers.surveys.GetInvitation(
        pb.GetInvitationRequest(source_reference=reference), metadata=analyst
    )
    assert invitation.trigger == pb.TRIGGER_KIND_PRODUCT
    assert (invitation.topic, invitation.org_unit) == ("paspoort", "stadswinkel-centrum")
    assert invitation.channel == channel_pb2.CHANNEL_COUNTER
    assert BSN not in dump_database_text(f"sqlite:///{stack.data_dir / 'surveys.db'}")


def test_a_product_event_of_a_domain_the_sender_does_not_act_for_is_refused(
    stack: Stack,
) -> None:
    callers = Callers(stack)
    stranger = callers.auth("belastingen-backoffice", ["belastingen"], ["service"])
    request = epb.DeliverEventRequest(event=product_event(stack, BSN))
    with pytest.raises(grpc.RpcError) as refused:
        callers.sink.DeliverEvent(request, metadata=stranger)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
