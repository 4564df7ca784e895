"""Combining concurrent calls into one batch: one conversion call and one commit for many.

Threads submit items; a thread that arrives while no batch runs becomes the leader: it takes
every item queued so far (up to ``max_items``, its own among them), runs the batch function
once, and hands every submitter its own outcome (a result, or the exception that item
raised). Items that arrived meanwhile wait; when the leader is done it passes the lead to
the oldest of them. With one caller at a time every batch holds one item, so nothing waits;
with many, each batch carries what queued during the previous one.

The batch function gets the items in arrival order and must return one outcome per item:
an item's failure must not be another's, so it returns the exception in that item's place.
An exception it raises itself is taken for one item's fault, which one unknown: the batch is
split in halves and each half run again, down to the item that raises on its own, which alone
gets the exception (logged by type only: its message might hold the input). Only an exception
that ``shared`` says is everyone's (a dependency that is down) fails the whole batch at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from stadskamer.common.errors import StadskamerError

Item = TypeVar("Item")
Result = TypeVar("Result")

_log = logging.getLogger("stadskamer.combining")


class _Slot(Generic[Item, Result]):
    """One submitted item, and where its outcome arrives."""

    def __init__(self, item: Item) -> None:
        self.item = item
        self.ready = threading.Event()
        self.lead = False
        self.result: Result | None = None
        self.error: BaseException | None = None

    def outcome(self) -> Result:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class Combiner(Generic[Item, Result]):
    """Runs concurrently submitted items together (see the module)."""

    def __init__(
        self,
        batch: Callable[[Sequence[Item]], Sequence[Result | BaseException]],
        max_items: int = 256,
        shared: Callable[[Exception], bool] = lambda error: False,
    ) -> None:
        self._batch = batch
        self._max_items = max_items
        self._shared = shared
        self._lock = threading.Lock()
        self._queue: list[_Slot[Item, Result]] = []
        self._leading = False

    def submit(self, item: Item) -> Result:
        """The outcome of ``item``, computed in a batch with whatever else is queued."""
        slot: _Slot[Item, Result] = _Slot(item)
        with self._lock:
            self._queue.append(slot)
            leader = not self._leading
            self._leading = True
        if not leader:
            slot.ready.wait()
            if not slot.lead:
                return slot.outcome()
            slot.ready.clear()  # woken to lead: its own item is still queued
        self._lead(slot)
        return slot.outcome()

    def _lead(self, own: _Slot[Item, Result]) -> None:
        """Run batches until ``own`` has its outcome, then pass the lead on."""
        while not own.ready.is_set():
            with self._lock:
                taken = self._queue[: self._max_items]
                del self._queue[: self._max_items]
            self._run(taken)
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.lead = True
                successor.ready.set()
            else:
                self._leading = False

    def _run(self, slots: list[_Slot[Item, Result]]) -> None:
        outcomes = self._outcomes([s.item for s in slots])
        for slot, outcome in zip(slots, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                slot.error = outcome
            else:
                slot.result = outcome
            slot.ready.set()

    def _outcomes(self, items: Sequence[Item]) -> list[Result | BaseException]:
        """One outcome per item; a batch that raises is split until the raiser runs alone."""
        try:
            outcomes = list(self._batch(items))
        except Exception as error:
            if len(items) > 1 and not self._shared(error):
                half = len(items) // 2
                return self._outcomes(items[:half]) + self._outcomes(items[half:])
            if len(items) == 1 and not isinstance(error, StadskamerError):
                _log.error("a combined item failed on its own: %s", type(error).__name__)
            return [error] * len(items)
        except BaseException as error:  # an interrupt: every item fails as the batch did
            return [error] * len(items)
        if len(outcomes) != len(items):
            mismatch = RuntimeError("the batch function must give one outcome per item")
            return [mismatch] * len(items)
        return outcomes
