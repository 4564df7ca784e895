"""The embedded stack on port 0, with real channels and tokens, for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from stadskamer.cli.embedded import build_embedded
from stadskamer.common.auth import TokenIssuer


@dataclass
class Stack:
    """A running embedded stack."""

    data_dir: Path
    port: int
    issuer: TokenIssuer
    channel: grpc.Channel

    @property
    def address(self) -> str:
        """host:port of the server."""
        return f"127.0.0.1:{self.port}"

    def token(self, sub: str, domains: list[str], roles: list[str], ttl: int = 600) -> str:
        """A valid token for the given identity."""
        return self.issuer.issue(sub, domains, roles, ttl)


@contextmanager
def running_stack(data_dir: Path) -> Iterator[Stack]:
    """Start the whole stack on a free port; stop it afterwards."""
    running, issuer = build_embedded(data_dir, "127.0.0.1", 0)
    running.server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield Stack(data_dir, running.port, issuer, channel)
    finally:
        channel.close()
        running.stop(1.0)
