"""Delivery of outbox events to an EventSinkService (``stadskamer.events.v1``) over gRPC.

Every emitting service (complaints, contacts) stores ``stadskamer.events.v1.Event`` messages
in its outbox; :class:`GrpcEventSink` is the relay's ``Deliver`` for one receiving service.

The id an event carries is not the one the sender stores: :class:`EventIds` derives it at
delivery from the stored id with a key of the sending domain (HMAC, label
:data:`EVENT_IDS`), so a receiver's copy of it matches no value of the sender's database,
and a redelivery carries the same id (receivers deduplicate by it).

A sender may also complete an event at delivery (``prepare``): the complaints service stores
ComplaintClosed without the complainant and adds a fresh reference of them to each delivery,
so the bytes a receiver gets are nowhere in the sender's database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager

import grpc
from sqlalchemy.engine import Engine

from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.api.events.v1 import events_pb2_grpc as pb_grpc
from stadskamer.common.outbox import Outbox, OutboxEvent
from stadskamer.common.outbox_relay import OutboxRelay
from stadskamer.common.peers import TokenSource, peer_channel
from stadskamer.common.references import KeyedDigest

EVENT_IDS = b"stadskamer/events/ids/v1"
# Completes a stored event for one delivery; None: there is nothing to send (it counts as
# delivered, e.g. when the citizen can no longer be named).
Prepare = Callable[[pb.Event], pb.Event | None]
_log = logging.getLogger("stadskamer.outbox")


def sending_domain(event: pb.Event) -> str:
    """The domain an event is sent for: the contact's domain, the complaint's subject domain."""
    which = event.WhichOneof("payload")
    if which == "complaint_closed":
        return event.complaint_closed.subject_domain
    if which == "contact_registered":
        return event.contact_registered.domain
    if which == "product_completed":
        return event.product_completed.domain
    return ""


class EventIds:
    """The id of an event on the wire: a UUID of the HMAC of its stored id, keyed with the
    sending domain's secret key ``y_d``."""

    def __init__(self, domain_secret_keys: Mapping[str, bytes]) -> None:
        self._digests = {d: KeyedDigest(k, EVENT_IDS) for d, k in domain_secret_keys.items()}

    def wire_id(self, event: pb.Event) -> str:
        """The id to send ``event`` (as stored) with; KeyError for a domain without a key."""
        return self._digests[sending_domain(event)].uuid(event.event_id)


class GrpcEventSink:
    """Delivers outbox events to one EventSinkService (a ``Deliver`` of the relay)."""

    def __init__(
        self,
        channel: grpc.Channel,
        ids: EventIds,
        timeout: float = 5.0,
        prepare: Prepare | None = None,
    ) -> None:
        self._stub = pb_grpc.EventSinkServiceStub(channel)
        self._ids = ids
        self._timeout = timeout
        self._prepare = prepare

    def __call__(self, event: OutboxEvent) -> None:
        """Send it under its wire id (completed by ``prepare``); any error propagates, so the
        relay retries later."""
        message = pb.Event.FromString(event.payload)
        if self._prepare is not None:
            prepared = self._prepare(message)
            if prepared is None:
                _log.warning("outbox event not sent: nothing to send type=%s", event.event_type)
                return
            message = prepared
        message.event_id = self._ids.wire_id(message)
        self._stub.DeliverEvent(pb.DeliverEventRequest(event=message), timeout=self._timeout)


def grpc_relay(
    engine: Engine,
    outbox: Outbox,
    addresses: Sequence[str],
    token: TokenSource,
    ids: EventIds,
    write_guard: AbstractContextManager[object] | None = None,
    *,
    prepare: Prepare | None = None,
) -> tuple[OutboxRelay, list[grpc.Channel]]:
    """A relay delivering ``outbox`` to the EventSinkService at each address (each event
    completed by ``prepare``), and the channels to close when the service stops (after the
    relay)."""
    channels = {address: peer_channel(address, token) for address in addresses}
    sinks = {
        address: GrpcEventSink(channel, ids, prepare=prepare)
        for address, channel in channels.items()
    }
    return OutboxRelay(engine, outbox, sinks, write_guard=write_guard), list(channels.values())
