"""A real EventSinkService on port 0 that deduplicates by event id, as receivers must.

It can lose the acknowledgement of an event's first delivery (it accepts the event, then
answers UNAVAILABLE), which makes the sender retry an event the receiver already has.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager

import grpc

from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.api.events.v1 import events_pb2_grpc as pb_grpc

FAST_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 300),
]


class DeduplicatingSink(pb_grpc.EventSinkServiceServicer):
    """Keeps each event once; records every delivery attempt."""

    def __init__(self, lose_first_ack: bool = False) -> None:
        self.lose_first_ack = lose_first_ack
        self.deliveries: list[str] = []
        self.accepted: dict[str, pb.Event] = {}
        self._lock = threading.Lock()

    def DeliverEvent(
        self, request: pb.DeliverEventRequest, context: grpc.ServicerContext
    ) -> pb.DeliverEventResponse:
        """Accept once, acknowledge every time (except a lost first acknowledgement)."""
        event_id = request.event.event_id
        with self._lock:
            self.deliveries.append(event_id)
            duplicate = event_id in self.accepted
            self.accepted.setdefault(event_id, request.event)
            first = self.deliveries.count(event_id) == 1
        if self.lose_first_ack and first:
            context.abort(grpc.StatusCode.UNAVAILABLE, "acknowledgement lost")
        return pb.DeliverEventResponse(duplicate=duplicate)


@contextmanager
def running_sink(sink: DeduplicatingSink, port: int = 0) -> Iterator[str]:
    """Serve ``sink`` on 127.0.0.1:``port`` (0: any free port); yields the address."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_EventSinkServiceServicer_to_server(sink, server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        yield f"127.0.0.1:{bound}"
    finally:
        server.stop(0).wait()
