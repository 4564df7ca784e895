"""The HTTP server: uvicorn on its own thread and event loop, next to the gRPC server.

The socket is bound before the thread starts, so the port is known at once (port 0 picks a
free one). :meth:`HttpServer.stop` stops accepting, lets requests in flight finish (up to the
grace period) and returns when the thread has ended.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

_START_SECONDS = 10.0


class HttpServer:
    """One uvicorn server on a pre-bound socket."""

    def __init__(self, app: ASGIApp, host: str, port: int, grace_seconds: float = 5.0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family, backlog=256)
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=int(grace_seconds),
        )
        self._grace = grace_seconds
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="http", daemon=True
        )

    def start(self) -> None:
        """Serve; return once the server accepts connections."""
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive() or waited > _START_SECONDS:
                raise RuntimeError(f"the HTTP server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
            waited += 0.01

    def stop(self) -> None:
        """Stop gracefully and wait for the thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(self._grace + 5.0)
        self._socket.close()
