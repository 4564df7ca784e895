"""``stadskamer serve <service> --workers N``: N processes of one service sharing its port.

The parent validates the settings, migrates the database once, reserves the port (a free one
when the port is 0), starts N worker processes (``multiprocessing`` with the ``spawn`` start
method), each serving the service on that port with SO_REUSEPORT so the kernel spreads
connections over them, and announces ``<service> is listening on host:port`` once every
worker is serving.

SIGTERM and SIGINT are forwarded to every worker, which stops gracefully (health turns
NOT_SERVING, in-flight RPCs finish). The parent exits 0 when every worker stopped with exit
code 0. When a worker dies on its own (a crash, a kill, a failed start), the parent stops the
others and exits 1: the service runs completely or not at all, and the process supervisor
(Kubernetes, systemd) restarts it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from types import FrameType

from stadskamer.cli.registry import SERVICES
from stadskamer.common.logs import configure_logging
from stadskamer.common.server import ServerSettings, build_server, serve_until_signal
from stadskamer.common.telemetry import configure_tracing

_log = logging.getLogger("stadskamer.workers")
_START_SECONDS = 120.0
_EXTRA_GRACE_SECONDS = 5.0


def _reserve_port(host: str, port: int) -> socket.socket:
    """A bound (not listening) SO_REUSEPORT socket holding ``port`` (a free one for 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind((host, port))
    return holder


def _worker(
    service: str, port: int, log_level: str, trace_console: bool, ready: Queue[int]
) -> None:
    """One worker process: serve ``service`` on the shared ``port`` until a signal."""
    configure_logging(log_level)
    configure_tracing(f"stadskamer-{service}", console=trace_console)
    entry = SERVICES[service]
    settings = entry.from_env({**os.environ, "STADSKAMER_GRPC_PORT": str(port)})
    running = build_server(
        settings.server, lambda _port: [entry.build_component(settings)], reuse_port=True
    )
    ready.put(running.port)
    serve_until_signal(running, settings.server.grace_seconds)


def _forward(workers: list[BaseProcess], signum: int) -> None:
    for process in workers:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signum)


def run_workers(
    service: str,
    count: int,
    log_level: str,
    trace_console: bool,
    server: ServerSettings,
    migrate: Callable[[], None],
) -> int:
    """Run ``count`` workers of ``service``; 0 when all stopped gracefully, else 1."""
    configure_logging(log_level)
    # Once, before the workers start: concurrent migrations of one database would collide.
    migrate()
    host = server.host
    holder = _reserve_port(host, server.port)
    port = holder.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    ready: Queue[int] = context.Queue()
    stopping = threading.Event()
    workers: list[BaseProcess] = [
        context.Process(
            target=_worker,
            args=(service, port, log_level, trace_console, ready),
            name=f"{service}-worker-{index}",
        )
        for index in range(count)
    ]

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        _log.info("received %s, stopping %d workers", signal.Signals(signum).name, count)
        stopping.set()
        _forward(workers, signal.SIGTERM)

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    try:
        for process in workers:
            process.start()
        _await_ready(workers, ready, count)
    except RuntimeError as error:
        _log.error("%s", error)
        stopping.set()
        _forward(workers, signal.SIGTERM)
    finally:
        holder.close()
    if not stopping.is_set():
        print(f"{service} is listening on {host}:{port} ({count} workers)", flush=True)
    return _supervise(workers, stopping, server.grace_seconds + _EXTRA_GRACE_SECONDS)


def _await_ready(workers: list[BaseProcess], ready: Queue[int], count: int) -> None:
    """Wait until every worker serves; RuntimeError when one dies or the start takes too long."""
    started = 0
    deadline = time.monotonic() + _START_SECONDS
    while started < count:
        if any(p.exitcode is not None for p in workers):
            raise RuntimeError("a worker stopped during the start")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the workers did not start within {_START_SECONDS:.0f} s")
        try:
            ready.get(timeout=0.2)
        except queue.Empty:
            continue
        started += 1


def _supervise(workers: list[BaseProcess], stopping: threading.Event, grace: float) -> int:
    """Wait for the workers; stop the rest when one ends unasked. The exit code of the whole.

    A worker still running ``grace`` seconds after the stop was asked is killed.
    """
    failed = False
    remaining = list(workers)
    deadline: float | None = None
    while remaining:
        wait([p.sentinel for p in remaining], timeout=0.5)
        if stopping.is_set() and deadline is None:
            deadline = time.monotonic() + grace
        if deadline is not None and time.monotonic() > deadline:
            _forward(remaining, signal.SIGKILL)
        for process in [p for p in remaining if p.exitcode is not None]:
            remaining.remove(process)
            if process.exitcode != 0 or not stopping.is_set():
                failed = True
                _log.error("%s ended with exit code %s", process.name, process.exitcode)
                if not stopping.is_set():
                    stopping.set()
                    _forward(remaining, signal.SIGTERM)
    return 1 if failed else 0
