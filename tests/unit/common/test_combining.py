"""The combiner: concurrent submissions run in shared batches, each caller gets its own outcome."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.rpc import code_pb2

from stadskamer.common.combining import Combiner
from stadskamer.common.errors import Unavailable
from stadskamer.common.status import to_rpc_status


class Doubler:
    """A batch function that doubles numbers, refuses negatives and remembers its batches."""

    def __init__(self, pause: float = 0.0) -> None:
        self.pause = pause
        self.batches: list[list[int]] = []
        self.lock = threading.Lock()

    def __call__(self, items: Sequence[int]) -> list[int | BaseException]:
        with self.lock:
            self.batches.append(list(items))
        time.sleep(self.pause)
        if 1000 in items:
            raise RuntimeError("the whole batch failed")
        return [ValueError(f"negative {i}") if i < 0 else 2 * i for i in items]


def test_a_lone_caller_runs_a_batch_of_its_own() -> None:
    doubler = Doubler()
    combiner = Combiner(doubler)
    assert [combiner.submit(n) for n in (1, 2, 3)] == [2, 4, 6]
    assert doubler.batches == [[1], [2], [3]]


def test_concurrent_callers_share_batches_and_each_gets_its_own_result() -> None:
    doubler = Doubler(pause=0.02)
    combiner = Combiner(doubler)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(combiner.submit, range(64)))
    assert results == [2 * n for n in range(64)]
    assert sorted(n for batch in doubler.batches for n in batch) == list(range(64))
    assert len(doubler.batches) < 64
    assert max(len(batch) for batch in doubler.batches) > 1


def test_an_item_that_fails_fails_only_its_own_caller() -> None:
    doubler = Doubler(pause=0.02)
    combiner = Combiner(doubler)

    def attempt(n: int) -> int | str:
        try:
            return combiner.submit(n)
        except ValueError as error:
            return str(error)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, [1, -2, 3, -4, 5, 6, 7, 8]))
    assert results == [2, "negative -2", 6, "negative -4", 10, 12, 14, 16]


def test_a_batch_that_raises_fails_every_caller_in_it_and_no_other() -> None:
    combiner = Combiner(Doubler())
    with pytest.raises(RuntimeError, match="whole batch"):
        combiner.submit(1000)
    assert combiner.submit(4) == 8


def _attempt(combiner: Combiner[int, int], n: int) -> int | BaseException:
    try:
        return combiner.submit(n)
    except Exception as error:
        return error


def test_an_item_whose_work_raises_unexpectedly_fails_only_its_own_caller(
    caplog: pytest.LogCaptureFixture,
) -> None:
    doubler = Doubler(pause=0.02)
    combiner = Combiner(doubler)
    items = [1, 2, 3, 1000, 5, 6, 7, 8, 9, 10, 11, 12]
    with caplog.at_level(logging.ERROR, "stadskamer.combining"), ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda n: _attempt(combiner, n), items))
    offender = results[3]
    assert isinstance(offender, RuntimeError)
    assert to_rpc_status(offender).code == code_pb2.INTERNAL
    assert results[:3] + results[4:] == [2 * n for n in items if n != 1000]
    assert any(1000 in batch and len(batch) > 1 for batch in doubler.batches), "not combined"
    assert [r.getMessage() for r in caplog.records] == [
        "a combined item failed on its own: RuntimeError"
    ]
    assert "1000" not in caplog.text and "whole batch" not in caplog.text


def test_an_error_that_is_everyones_fails_the_batch_without_splitting_it() -> None:
    calls: list[list[int]] = []
    gate = threading.Event()

    def down(items: Sequence[int]) -> list[int | BaseException]:
        calls.append(list(items))
        gate.wait(1.0)
        raise Unavailable("the dependency is down", "DEPENDENCY_UNAVAILABLE")

    combiner = Combiner(down, shared=lambda error: isinstance(error, Unavailable))
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(_attempt, combiner, n) for n in range(8)]
        time.sleep(0.1)
        gate.set()
        results = [f.result() for f in futures]
    assert all(isinstance(r, Unavailable) for r in results)
    assert len(calls) < 8, "a shared failure must not run every item alone"
    assert sum(len(c) for c in calls) == 8


def test_batches_hold_at_most_max_items() -> None:
    doubler = Doubler(pause=0.02)
    combiner = Combiner(doubler, max_items=3)
    with ThreadPoolExecutor(12) as pool:
        assert list(pool.map(combiner.submit, range(30))) == [2 * n for n in range(30)]
    assert max(len(batch) for batch in doubler.batches) <= 3


def test_a_batch_function_with_too_few_outcomes_fails_its_callers() -> None:
    combiner: Combiner[int, int] = Combiner(lambda items: [])
    with pytest.raises(RuntimeError, match="one outcome per item"):
        combiner.submit(1)
