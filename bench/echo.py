"""A raw gRPC echo server: the ceiling any Python gRPC service on this machine can reach.

Two flavours, both without protos (a generic handler with identity bytes serializers):

- ``sync``: ``grpc.server`` on a ``ThreadPoolExecutor`` (32 workers, like the real server);
- ``aio``: ``grpc.aio.server``.

Run one on its own: ``python bench/echo.py --mode sync|aio --port 0``; it prints
``PORT <n>`` on standard output and serves until SIGTERM or SIGINT, then exits 0.
From a benchmark, :func:`start_echo_server` starts one as a subprocess and
:func:`processes.stop_process` ends it; :func:`echo_callable` makes the client side.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent import futures
from pathlib import Path

import grpc
from processes import start_process, stop_process

SERVICE = "bench.Echo"
METHOD = "Echo"
METHOD_PATH = f"/{SERVICE}/{METHOD}"
MODES = ("sync", "aio")
THREADS = 32


def _echo(request: bytes, _context: grpc.ServicerContext) -> bytes:
    """Return the request bytes unchanged."""
    return request


async def _echo_async(request: bytes, _context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    """Return the request bytes unchanged (asyncio flavour)."""
    return request


def _announce(port: int) -> None:
    """Tell the parent process which port was bound."""
    print(f"PORT {port}", flush=True)


def serve_sync(port: int) -> None:
    """Serve the echo method on a thread-pool server until SIGTERM or SIGINT."""
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {METHOD: grpc.unary_unary_rpc_method_handler(_echo)}
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=THREADS))
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    _announce(bound)
    stop.wait()
    server.stop(1.0).wait()


async def serve_aio(port: int) -> None:
    """Serve the echo method on an asyncio server until SIGTERM or SIGINT."""
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {METHOD: grpc.unary_unary_rpc_method_handler(_echo_async)}
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await server.start()
    _announce(bound)
    await stop.wait()
    await server.stop(1.0)


def start_echo_server(mode: str) -> tuple[subprocess.Popen[str], int]:
    """Start an echo server of ``mode`` ("sync" or "aio") on a free port in a subprocess.

    Returns the process and its port. Stop it with :func:`processes.stop_process`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    script = str(Path(__file__).resolve())
    process, lines = start_process([sys.executable, script, "--mode", mode, "--port", "0"])
    try:
        line = lines.wait_for("PORT ")
    except BaseException:
        stop_process(process)
        raise
    return process, int(line.split()[1])


def echo_callable(channel: grpc.Channel, payload: bytes) -> Callable[[], bytes]:
    """A callable doing one echo RPC of ``payload`` over ``channel`` (thread-safe)."""
    method: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(METHOD_PATH)

    def call() -> bytes:
        response: bytes = method(payload, timeout=10.0)
        return response

    return call


def main() -> int:
    """Command line: ``--mode sync|aio --port N``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="sync")
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    if options.mode == "sync":
        serve_sync(options.port)
    else:
        asyncio.run(serve_aio(options.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
