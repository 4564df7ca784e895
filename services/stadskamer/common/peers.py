"""How a service reaches its peers: channels and the service's own access token.

Inside ``stadskamer up`` a service's token is minted in-process by the deployment's issuer
and renewed before it expires. In a cluster it is read from the file named by
``STADSKAMER_SERVICE_TOKEN_FILE`` (re-read when the file changes, so a rotated secret is
picked up without a restart). Peer channels use mutual TLS when ``STADSKAMER_PEER_TLS_CA_FILE``,
``_CERT_FILE`` and ``_KEY_FILE`` are set (see :mod:`stadskamer.common.channels`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import grpc

from stadskamer.common.auth import TokenIssuer
from stadskamer.common.channels import open_raw_channel, peer_tls_from_env
from stadskamer.common.interceptors import ClientMetadataInterceptor
from stadskamer.common.keys import read_private
from stadskamer.common.server import TlsFiles

TokenSource = Callable[[], str | None]
_RENEW_BEFORE_SECONDS = 300


class IssuedTokenSource:
    """Mints a service token with the local issuer and renews it before expiry."""

    def __init__(
        self,
        issuer: TokenIssuer,
        subject: str,
        domains: list[str],
        roles: list[str],
        ttl_seconds: int = 3600,
    ) -> None:
        self._issue: Callable[[], str] = partial(issuer.issue, subject, domains, roles, ttl_seconds)
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._token = ""
        self._expires = 0.0

    def __call__(self) -> str:
        with self._lock:
            if time.monotonic() > self._expires - _RENEW_BEFORE_SECONDS:
                self._token = self._issue()
                self._expires = time.monotonic() + self._ttl
            return self._token


class FileTokenSource:
    """Reads the token from a mounted file, again whenever the file changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._seen: float = -1.0
        self._token = ""
        self()  # fail at start when the file is missing or world-readable

    def __call__(self) -> str:
        with self._lock:
            modified = self._path.stat().st_mtime
            if modified != self._seen:
                self._token = read_private(self._path).decode("ascii").strip()
                self._seen = modified
            return self._token


def peer_channel(address: str, token: TokenSource, tls: TlsFiles | None = None) -> grpc.Channel:
    """A channel to a peer that adds this service's token and the trace context.

    Mutual TLS with ``tls``; without it, with the ``STADSKAMER_PEER_TLS_*`` files of the
    process environment when they are set, else plaintext.
    """
    channel = open_raw_channel(
        address,
        tls if tls is not None else peer_tls_from_env(),
        [
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 30000),
            ("grpc.max_reconnect_backoff_ms", 5000),
        ],
    )
    return grpc.intercept_channel(channel, ClientMetadataInterceptor(token))
