"""Delivery of outbox events to an EventSinkService (``stadskamer.events.v1``) over gRPC.

Every emitting service (complaints, contacts) stores ``stadskamer.events.v1.Event`` messages
in its outbox; :class:`GrpcEventSink` is the relay's ``Deliver`` for one receiving service.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

import grpc
from sqlalchemy.engine import Engine

from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.api.events.v1 import events_pb2_grpc as pb_grpc
from stadskamer.common.outbox import Outbox, OutboxEvent
from stadskamer.common.outbox_relay import OutboxRelay
from stadskamer.common.peers import TokenSource, peer_channel


class GrpcEventSink:
    """Delivers outbox events to one EventSinkService (a ``Deliver`` of the relay)."""

    def __init__(self, channel: grpc.Channel, timeout: float = 5.0) -> None:
        self._stub = pb_grpc.EventSinkServiceStub(channel)
        self._timeout = timeout

    def __call__(self, event: OutboxEvent) -> None:
        """Send it; any gRPC error propagates, so the relay retries later."""
        request = pb.DeliverEventRequest(event=pb.Event.FromString(event.payload))
        self._stub.DeliverEvent(request, timeout=self._timeout)


def grpc_relay(
    engine: Engine,
    outbox: Outbox,
    addresses: Sequence[str],
    token: TokenSource,
    write_guard: AbstractContextManager[object] | None = None,
) -> tuple[OutboxRelay, list[grpc.Channel]]:
    """A relay delivering ``outbox`` to the EventSinkService at each address, and the
    channels to close when the service stops (after the relay)."""
    channels = {address: peer_channel(address, token) for address in addresses}
    sinks = {address: GrpcEventSink(channel) for address, channel in channels.items()}
    return OutboxRelay(engine, outbox, sinks, write_guard=write_guard), list(channels.values())
