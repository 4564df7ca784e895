"""The relay of the transactional outbox: a thread that delivers pending events to sinks.

See :mod:`stadskamer.common.outbox` for the guarantees (at least once, oldest first per sink,
retried with exponential backoff). Deliveries of one pass are recorded in one transaction.
A sink with a ``deliver_many`` method gets each pass's batch in one call (all or nothing);
``on_result`` hears after every attempt whether the sink took what it was given. With
``linger_seconds`` a woken relay waits that long first, so that one pass carries the events
of several requests.
On SQLite, pass the service's ``write_guard`` so that recording a delivery queues behind the
service's own writes instead of meeting them in SQLite's busy handler.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from stadskamer.common.errors import StadskamerError
from stadskamer.common.outbox import Deliver, Outbox, OutboxEvent

_log = logging.getLogger("stadskamer.outbox")


class OutboxRelay:
    """A thread that delivers pending outbox events to sinks, at least once, oldest first."""

    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        sinks: Mapping[str, Deliver],
        *,
        batch_size: int = 100,
        poll_seconds: float = 2.0,
        initial_backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 60.0,
        write_guard: AbstractContextManager[object] | None = None,
        on_result: Callable[[str, bool], None] = lambda _sink, _ok: None,
        linger_seconds: float = 0.0,
    ) -> None:
        self._linger = linger_seconds
        self._on_result = on_result
        self._write_guard = write_guard or nullcontext()
        self._engine = engine
        self._outbox = outbox
        self._sinks = dict(sinks)
        self._batch_size = batch_size
        self._poll = poll_seconds
        self._initial_backoff = initial_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the relay thread (no-op when running or without sinks)."""
        if self._thread is not None or not self._sinks:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its current delivery."""
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Deliver soon: call after committing a transaction that added events."""
        self._wakeup.set()

    def retry_now(self, sink: str) -> None:
        """Forget ``sink``'s backoff and deliver soon (call when it is reachable again)."""
        self._retry_at.pop(sink, None)
        self._wakeup.set()

    def run_once(self) -> int:
        """One pass over every sink that is not backing off; the number of deliveries made."""
        delivered = 0
        for sink, deliver in self._sinks.items():
            if self._stopping.is_set():
                break
            if time.monotonic() < self._retry_at.get(sink, 0.0):
                continue
            try:
                delivered += self._deliver_batch(sink, deliver)
            except (SQLAlchemyError, StadskamerError) as error:
                self._back_off(sink, "", error)
        return delivered

    def _deliver_batch(self, sink: str, deliver: Deliver) -> int:
        with self._engine.connect() as connection:
            batch = self._outbox.pending(connection, sink, self._batch_size)
        many: Callable[[Sequence[OutboxEvent]], None] | None = getattr(
            deliver, "deliver_many", None
        )
        if not batch:
            self._succeeded(sink)
            return 0
        done: list[int] = []
        try:
            if many is not None:
                try:
                    many([event for _, event in batch])
                except Exception as error:  # any failure of the sink: retry later
                    self._back_off(sink, batch[0][1].event_id, error)
                else:
                    done = [sequence for sequence, _ in batch]
                    self._succeeded(sink)
                return len(done)
            for sequence, event in batch:
                if self._stopping.is_set():
                    break
                try:
                    deliver(event)
                except Exception as error:  # any failure of the sink: retry later
                    self._back_off(sink, event.event_id, error)
                    break
                done.append(sequence)
                self._succeeded(sink)
        finally:
            with self._write_guard:
                self._outbox.mark_delivered(
                    self._engine, done, sink, frozenset(self._sinks), datetime.now(UTC)
                )
        return len(done)

    def _succeeded(self, sink: str) -> None:
        self._failures.pop(sink, None)
        self._retry_at.pop(sink, None)
        self._on_result(sink, True)

    def _back_off(self, sink: str, event_id: str, error: BaseException) -> None:
        self._on_result(sink, False)
        failures = self._failures.get(sink, 0) + 1
        self._failures[sink] = failures
        delay = min(self._max_backoff, self._initial_backoff * 2 ** (failures - 1))
        delay *= random.uniform(0.8, 1.2)
        self._retry_at[sink] = time.monotonic() + delay
        _log.warning(
            "outbox delivery to %s failed event_id=%s error=%s attempt=%d retry_in_s=%.1f",
            sink,
            event_id or "-",
            type(error).__name__,
            failures,
            delay,
        )

    def _next_wait(self, delivered: int) -> float:
        if delivered:
            return 0.0
        now = time.monotonic()
        return min([self._poll, *(at - now for at in self._retry_at.values() if at > now)])

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                delivered = self.run_once()
            except Exception as error:  # the relay must outlive any single failure
                _log.error("outbox relay pass failed error=%s", type(error).__name__)
                delivered = 0
            self._wakeup.wait(self._next_wait(delivered))
            self._wakeup.clear()
            if self._linger:
                self._stopping.wait(self._linger)
