"""The gateway as one deployable: the history fan-out (gRPC) and the REST/JSON gateway (HTTP).

``stadskamer serve gateway`` serves both: the fan-out on the gRPC port, the REST routes and the
screens on ``STADSKAMER_HTTP_PORT``, stopped together. In ``stadskamer up`` the registry builds
the fan-out only; the ``up`` command starts the HTTP side itself on ``--http-port``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from stadskamer.common.server import Component, ServerSettings
from stadskamer.gateway.history import bootstrap as history
from stadskamer.gateway.history.settings import HistorySettings
from stadskamer.gateway.rest.bootstrap import start_rest_gateway
from stadskamer.gateway.rest.settings import RestSettings


@dataclass(frozen=True)
class GatewaySettings:
    """The fan-out's settings and, when served over HTTP too, the REST gateway's."""

    history: HistorySettings
    rest: RestSettings | None = None

    @property
    def server(self) -> ServerSettings:
        """The gRPC server settings."""
        return self.history.server

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GatewaySettings:
        """Both halves from the environment (see the two settings modules)."""
        fan_out = HistorySettings.from_env(environ)
        return cls(fan_out, RestSettings.from_env(environ, fan_out.server))

    @classmethod
    def embedded(cls, fan_out: HistorySettings) -> GatewaySettings:
        """The fan-out of ``stadskamer up`` (whose command serves HTTP itself)."""
        return cls(fan_out)


def build_component(settings: GatewaySettings) -> Component:
    """The fan-out as a component; with REST settings, the HTTP server is started too and
    stopped when the component closes."""
    component = history.build_component(settings.history)
    if settings.rest is None:
        return component
    rest = start_rest_gateway(settings.rest)

    def close() -> None:
        rest.stop()
        component.close()

    return replace(component, close=close)
