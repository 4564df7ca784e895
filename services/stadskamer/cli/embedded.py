"""The embedded stack of ``stadskamer up``: every service on one server, SQLite files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from stadskamer.cli.keys_commands import ensure_keys
from stadskamer.cli.registry import SERVICES, EmbeddedContext
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.keys import KeyLayout
from stadskamer.common.server import Component, RunningServer, ServerSettings, build_server

# Every service shares one server here, and one request nests calls (a service calls the
# pseudonym service and the audit service, which calls the pseudonym service again): enough
# threads for many requests at that depth, so nested calls never wait for a free thread.
EMBEDDED_THREADS = 128


def embedded_server_settings(data_dir: Path, host: str, port: int) -> ServerSettings:
    """Server settings of the embedded setup: trust the data folder's token key."""
    return ServerSettings(
        host=host,
        port=port,
        threads=EMBEDDED_THREADS,
        token_public_key_file=KeyLayout.under(data_dir).token_public_key,
    )


def build_embedded(
    data_dir: Path, host: str = "127.0.0.1", port: int = 50051
) -> tuple[RunningServer, TokenIssuer]:
    """Make the data folder private, create keys if missing, then build (not start) the whole
    stack on one port."""
    ensure_keys(data_dir)
    settings = embedded_server_settings(data_dir, host, port)
    issuer = TokenIssuer.from_file(KeyLayout.under(data_dir).token_private_key)

    def components(bound_port: int) -> list[Component]:
        context = EmbeddedContext(data_dir, replace(settings, port=bound_port), bound_port, issuer)
        return [entry.build_component(entry.embedded(context)) for entry in SERVICES.values()]

    return build_server(settings, components), issuer
