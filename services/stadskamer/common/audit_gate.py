"""Whether processing records can reach the audit service now: the fail-closed gate.

A service that keeps its records in an outbox (:mod:`stadskamer.common.record_keeping`)
does not wait for the audit service on each request, but must still refuse new processing
while its records cannot get there. The gate is open when both hold:

- the channel to the audit service is READY (followed through a connectivity subscription;
  an idle or connecting channel is given up to ``connect_seconds`` to become ready, so the
  first request after start connects it; a channel in TRANSIENT_FAILURE fails at once);
- the relay's last attempt to deliver records succeeded (a refusal or a timeout closes the
  gate until a delivery succeeds).

When the channel becomes READY again the relay is asked to retry at once, so the gate opens
as soon as the backlog has been delivered rather than after the relay's backoff.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import grpc

from stadskamer.common.errors import Unavailable

# gRPC's connectivity poller looks at a channel every 0.2 s; a connection attempt asked of it
# must be over before the channel closes, or the poller fails on the closed channel.
_POLL_SECONDS = 0.25
_CONNECTING = frozenset({grpc.ChannelConnectivity.IDLE, grpc.ChannelConnectivity.CONNECTING})


class AuditGate:
    """Open while the audit service is reachable and takes the relayed records."""

    def __init__(self, channel: grpc.Channel, connect_seconds: float = 1.0) -> None:
        self._channel = channel
        self._connect_seconds = connect_seconds
        self._state: grpc.ChannelConnectivity | None = None
        self._ready = threading.Event()
        self._delivering = True
        self._on_ready: Callable[[], None] = lambda: None
        self._attempted_at = -_POLL_SECONDS
        channel.subscribe(self._changed, try_to_connect=False)

    def when_ready(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the channel becomes READY (the relay's retry)."""
        self._on_ready = callback

    def delivered(self, _sink: str, ok: bool) -> None:
        """The relay's report of an attempt: ``ok`` when the audit service took the records."""
        self._delivering = ok

    def check(self) -> None:
        """Return when records can reach the audit service; else raise ``Unavailable``."""
        if self._delivering and self._ready.is_set():
            return
        if self._delivering and (self._state is None or self._state in _CONNECTING):
            self._attempted_at = time.monotonic()
            attempt = grpc.channel_ready_future(self._channel)
            try:
                attempt.result(timeout=self._connect_seconds)
            except grpc.FutureTimeoutError:
                attempt.cancel()
            if self._ready.wait(0.05):
                return
        raise Unavailable("the processing log is unavailable", "PROCESSING_LOG_UNAVAILABLE")

    def close(self) -> None:
        """Stop following the channel (before it is closed)."""
        self._channel.unsubscribe(self._changed)
        since = time.monotonic() - self._attempted_at
        if since < _POLL_SECONDS:
            time.sleep(_POLL_SECONDS - since)

    def _changed(self, state: grpc.ChannelConnectivity) -> None:
        self._state = state
        if state is grpc.ChannelConnectivity.READY:
            self._ready.set()
            self._on_ready()
        else:
            self._ready.clear()
