"""A REST gateway on port 0 in front of the embedded stack, and an HTTP client for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from stadskamer.gateway.rest.bootstrap import RestGateway, start_rest_gateway
from stadskamer.gateway.rest.settings import Limits, RestSettings
from tests.support.stack import Stack, running_stack

EVERYTHING = ["kcc", "burgerzaken", "sociale-zaken", "belastingen", "klachten", "onderzoek"]
GENEROUS = Limits(rate_per_second=1000, rate_burst=1000)
ROLES = ["agent", "issuer", "coordinator", "analyst", "privacy-officer", "system"]


@dataclass
class Rest:
    """The stack, the gateway in front of it, and a client with helpers."""

    stack: Stack
    gateway: RestGateway
    client: httpx.Client

    @property
    def root(self) -> str:
        """The gateway's base URL."""
        return f"http://127.0.0.1:{self.gateway.port}"

    def token(self, sub: str, domains: list[str], roles: list[str]) -> str:
        """A valid token."""
        return self.stack.token(sub, domains, roles)

    def auth(
        self, sub: str = "tester", domains: list[str] | None = None, roles: list[str] | None = None
    ) -> dict[str, str]:
        """An Authorization header."""
        token = self.token(sub, domains or EVERYTHING, roles or ROLES)
        return {"Authorization": f"Bearer {token}"}

    def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """A request to ``/api/v1{path}``."""
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)


@contextmanager
def running_rest(data_dir: Path, limits: Limits = GENEROUS) -> Iterator[Rest]:
    """The stack and its REST gateway, both on free ports."""
    with running_stack(data_dir) as stack:
        settings = RestSettings.embedded(stack.data_dir, "127.0.0.1", 0, stack.address, limits)
        gateway = start_rest_gateway(settings)
        client = httpx.Client(base_url=f"http://127.0.0.1:{gateway.port}", timeout=30)
        try:
            yield Rest(stack, gateway, client)
        finally:
            client.close()
            gateway.stop()
