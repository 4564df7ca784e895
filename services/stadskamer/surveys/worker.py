"""A background thread that retries pending deliveries every few seconds.

Invitations are delivered right after they are created or given an address; this worker only
picks up those whose delivery failed (mail system down, a crash between steps).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

_log = logging.getLogger("stadskamer.surveys.worker")


class DeliveryWorker:
    """Calls ``deliver_pending`` every ``interval_seconds`` until stopped."""

    def __init__(self, deliver_pending: Callable[[], int], interval_seconds: float) -> None:
        self._deliver_pending = deliver_pending
        self._interval = interval_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (no-op when it runs)."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="surveys-delivery", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its current pass."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                delivered = self._deliver_pending()
            except Exception as error:  # the worker must outlive any single failure
                _log.warning("delivery pass failed error=%s", type(error).__name__)
                continue
            if delivered:
                _log.info("delivered pending invitations count=%d", delivered)
