"""A small closed-loop load generator for gRPC benchmarks, and the echo-rate yardstick.

Usage from a benchmark script in ``bench/`` (run as ``.venv/bin/python bench/<name>.py``)::

    import grpc
    from harness import measure_echo_rates, print_figure, print_header, print_machine, run_load

    print_machine()
    echo = measure_echo_rates([1, 16], requests=2000, max_seconds=5.0)
    channel = grpc.insecure_channel(address)  # the server runs in another process
    stub = MyServiceStub(channel)
    result = run_load(lambda: lambda: stub.Do(request), requests=2000, concurrency=16)
    print_header()
    print_figure("Do, 16 in flight", result, echo[16])

:func:`run_load` takes a *factory*: it is called once per worker thread and returns the
callable that performs one RPC, so per-thread state (a cursor into test data, a channel of
its own) lives in the closure; a factory that returns one shared callable is fine too. Each of
``concurrency`` threads first makes its share of the warm-up calls (not measured), then all
start together and take requests until ``requests`` are done or ``max_seconds`` have passed,
whichever comes first. Exceptions count as errors and are excluded from the latencies.

The *echo rate* is what a do-nothing Python gRPC server reaches on the same machine, with
the same client, at the same concurrency: the faster of a thread-pool and an asyncio echo
server (``bench/echo.py``), each in its own subprocess. A service figure divided by it shows
how much of the budget the service's own work takes.
"""

from __future__ import annotations

import math
import os
import platform
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from echo import MODES, echo_callable, start_echo_server
from processes import stop_process

CallFactory = Callable[[], Callable[[], object]]


@dataclass(frozen=True)
class LoadResult:
    """The outcome of one :func:`run_load`: counts, wall time and latency percentiles."""

    concurrency: int
    completed: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    first_error: str | None = None

    @property
    def rps(self) -> float:
        """Successful requests per second of wall time."""
        return self.completed / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class EchoRate:
    """Both echo flavours measured at one concurrency; :attr:`best` is the echo rate."""

    sync: LoadResult
    aio: LoadResult

    @property
    def best(self) -> LoadResult:
        """The faster of the two flavours."""
        return self.sync if self.sync.rps >= self.aio.rps else self.aio

    @property
    def mode(self) -> str:
        """The name of the faster flavour: "sync" or "aio"."""
        return "sync" if self.best is self.sync else "aio"

    @property
    def rps(self) -> float:
        """The echo rate: requests per second of the faster flavour."""
        return self.best.rps


@dataclass
class _RunState:
    """What the worker threads of one run share (guarded by the run's lock)."""

    issued: int = 0
    errors: int = 0
    start: float = 0.0
    end: float = 0.0
    latencies: list[float] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (``fraction`` in (0, 1]); 0 if empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def run_load(
    make_call: CallFactory,
    *,
    requests: int,
    concurrency: int,
    warmup: int | None = None,
    max_seconds: float = 10.0,
) -> LoadResult:
    """Run ``requests`` calls with ``concurrency`` in flight (one thread each) and time them.

    ``make_call`` is called once in each worker thread and returns the callable doing one
    request. ``warmup`` calls (default: a tenth of ``requests``, at least two per thread,
    at most 200) are spread over the threads and not measured. The measured phase stops
    taking new requests after ``requests`` or after ``max_seconds``, whichever comes first.
    An exception from ``make_call`` in any thread aborts the run and is re-raised.
    """
    if requests < 1 or concurrency < 1:
        raise ValueError("requests and concurrency must be at least 1")
    if warmup is None:
        warmup = max(2 * concurrency, min(200, requests // 10))
    per_thread_warmup = math.ceil(warmup / concurrency)
    lock = threading.Lock()
    state = _RunState()
    failures: list[BaseException] = []

    def begin() -> None:
        state.start = time.perf_counter()

    barrier = threading.Barrier(concurrency, action=begin)

    def take_ticket() -> bool:
        with lock:
            if state.issued >= requests or time.perf_counter() - state.start >= max_seconds:
                return False
            state.issued += 1
            return True

    def worker() -> None:
        try:
            call = make_call()
        except BaseException as error:
            failures.append(error)
            barrier.abort()
            return
        for _ in range(per_thread_warmup):
            try:
                call()
            except Exception as error:
                state.messages.append(f"warm-up: {error!r}")
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        mine: list[float] = []
        errors = 0
        while take_ticket():
            started = time.perf_counter()
            try:
                call()
            except Exception as error:
                errors += 1
                state.messages.append(repr(error))
                continue
            mine.append(time.perf_counter() - started)
        finished = time.perf_counter()
        with lock:
            state.latencies.extend(mine)
            state.errors += errors
            state.end = max(state.end, finished)

    threads = [
        threading.Thread(target=worker, name=f"load-{i}", daemon=True) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    latencies = sorted(state.latencies)
    return LoadResult(
        concurrency=concurrency,
        completed=len(latencies),
        errors=state.errors,
        seconds=state.end - state.start,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        first_error=state.messages[0] if state.messages else None,
    )


def measure_echo_rates(
    concurrencies: Iterable[int],
    *,
    requests: int,
    max_seconds: float = 10.0,
    payload: bytes = bytes(100),
) -> dict[int, EchoRate]:
    """The echo rate at each concurrency: both flavours, each server in its own subprocess.

    One server runs at a time; all concurrencies are measured against it over one shared
    channel, with ``payload`` echoed (100 bytes by default, about a pseudonym request).
    """
    levels = list(concurrencies)
    sync = _measure_echo_server("sync", levels, requests, max_seconds, payload)
    aio = _measure_echo_server("aio", levels, requests, max_seconds, payload)
    return {level: EchoRate(sync[level], aio[level]) for level in levels}


def _measure_echo_server(
    mode: str, levels: list[int], requests: int, max_seconds: float, payload: bytes
) -> dict[int, LoadResult]:
    process, port = start_echo_server(mode)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            call = echo_callable(channel, payload)
            return {
                level: run_load(
                    lambda: call, requests=requests, concurrency=level, max_seconds=max_seconds
                )
                for level in levels
            }
    finally:
        stop_process(process)


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def print_machine() -> None:
    """Print the machine: CPU model, cores (online and usable), Python and grpcio versions."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"cpu: {_cpu_model()}, cores: {os.cpu_count()} (usable {usable})")
    print(
        f"python: {platform.python_version()} ({platform.python_implementation()}), "
        f"grpcio: {grpc.__version__}, os: {platform.system()} {platform.release()}"
    )


def print_header() -> None:
    """Print the column names matching :func:`print_figure`."""
    print(
        f"{'figure':<44} {'rate':>10} {'unit':<7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'vs echo':>8} {'calls':>6} {'errors':>6}"
    )


def print_figure(
    name: str, result: LoadResult, echo: EchoRate, items_per_call: int = 1, unit: str = "req/s"
) -> None:
    """Print one figure: name, rate, p50, p99 (per call), ratio to echo rate, calls, errors.

    With ``items_per_call`` > 1 (batch RPCs) the rate is items per second and the ratio
    compares items per second with echo requests per second at the same concurrency.
    """
    rate = result.rps * items_per_call
    ratio = rate / echo.rps if echo.rps else 0.0
    print(
        f"{name:<44} {rate:>10.0f} {unit:<7} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} "
        f"{ratio:>8.3f} {result.completed:>6} {result.errors:>6}"
    )
    if result.first_error is not None:
        print(f"    first error: {result.first_error[:300]}")


def print_echo_rates(echo: dict[int, EchoRate]) -> None:
    """Print both echo flavours per concurrency, each as a figure relative to the best."""
    for level, rate in echo.items():
        for mode in MODES:
            result = rate.sync if mode == "sync" else rate.aio
            marker = " (echo rate)" if mode == rate.mode else ""
            print_figure(f"echo {mode}, {level} in flight{marker}", result, rate)
