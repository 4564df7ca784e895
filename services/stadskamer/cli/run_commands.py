"""``stadskamer up``, ``stadskamer serve`` and ``stadskamer migrate``."""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path

from stadskamer.cli.contacts_commands import load_demo_when_empty
from stadskamer.cli.embedded import build_embedded, embedded_server_settings
from stadskamer.cli.keys_commands import ensure_keys
from stadskamer.cli.registry import SERVICES, EmbeddedContext
from stadskamer.cli.workers import run_workers
from stadskamer.common.auth import KNOWN_ROLES, TokenIssuer
from stadskamer.common.keys import KeyLayout
from stadskamer.common.logs import configure_logging
from stadskamer.common.server import Component, build_server, serve_until_signal
from stadskamer.common.settings import ConfigurationError
from stadskamer.common.telemetry import configure_tracing
from stadskamer.gateway.rest.bootstrap import start_rest_gateway
from stadskamer.gateway.rest.settings import RestSettings
from stadskamer.pseudonyms.domain import DEFAULT_DOMAINS

GRACE_SECONDS = 10.0


def add_parsers(commands: argparse._SubParsersAction, data_dir: Path) -> None:  # type: ignore[type-arg]
    """Register ``up``, ``serve`` and ``migrate``."""
    up = commands.add_parser("up", help="run every service in one process (SQLite)")
    up.add_argument("--data-dir", type=Path, default=data_dir)
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--grpc-port", type=int, default=50051)
    up.add_argument(
        "--http-port", type=int, default=8080, help="REST API and screens (default 8080)"
    )
    up.add_argument("--trace-console", action="store_true", help="print spans to stderr")
    up.add_argument("--log-level", default=os.environ.get("STADSKAMER_LOG_LEVEL", "INFO"))
    up.add_argument(
        "--demo", action="store_true", help="load demo contacts when there are none yet"
    )
    up.set_defaults(handler=run_up)
    serve = commands.add_parser("serve", help="run one service, configured by environment")
    serve.add_argument("service", choices=sorted(SERVICES))
    serve.add_argument("--trace-console", action="store_true")
    serve.add_argument("--log-level", default=os.environ.get("STADSKAMER_LOG_LEVEL", "INFO"))
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port (SO_REUSEPORT); the command exits non-zero when one dies",
    )
    serve.set_defaults(handler=run_serve)
    migrate = commands.add_parser("migrate", help="bring databases to the newest schema")
    migrate.add_argument("--data-dir", type=Path, default=data_dir, help="embedded setup")
    migrate.add_argument("--service", choices=sorted(SERVICES), help="one service, from env")
    migrate.set_defaults(handler=run_migrate)


def run_up(options: argparse.Namespace) -> int:
    """Create keys on first start, migrate, serve every service on one port."""
    configure_logging(options.log_level)
    configure_tracing("stadskamer", console=options.trace_console)
    data_dir: Path = options.data_dir
    running, issuer = build_embedded(data_dir, options.host, options.grpc_port)
    token = issuer.issue("dev", list(DEFAULT_DOMAINS), sorted(KNOWN_ROLES), 8 * 3600)
    wildcard = options.host in {"0.0.0.0", "::", ""}  # noqa: S104
    local = "127.0.0.1" if wildcard else options.host
    address = f"{local}:{running.port}"
    http = start_rest_gateway(
        RestSettings.embedded(data_dir, options.host, options.http_port, address)
    )
    running.components.append(Component("http", [], lambda _server: None, close=http.stop))
    print(f"Stadskamer is listening on {options.host}:{running.port} (gRPC, plaintext)")
    print(f"REST API and screens: http://{local}:{http.port}/ (API: /api/v1/openapi.json)")
    print(f"Data folder: {data_dir.resolve()}")
    print(f"Development token (all domains and roles, 8 hours):\n{token}")
    print("Screens, signed in with that token (the part after # stays in the browser):")
    for screen in ("kcc", "privacy", "dashboards"):
        print(f"  http://{local}:{http.port}/{screen}#token={token}")
    print("Stop with Ctrl-C.", flush=True)
    if options.demo:
        threading.Thread(
            target=load_demo_when_empty, args=(address, token), name="demo", daemon=True
        ).start()
    serve_until_signal(running, GRACE_SECONDS)
    return 0


def run_serve(options: argparse.Namespace) -> int:
    """One service alone, configured by environment variables; ``--workers`` processes."""
    entry = SERVICES[options.service]
    settings = entry.from_env(os.environ)
    if options.workers < 1:
        raise ConfigurationError(f"--workers must be at least 1, got {options.workers}")
    if options.workers > 1:
        return run_workers(
            options.service,
            options.workers,
            options.log_level,
            options.trace_console,
            settings.server,
            lambda: entry.migrate(settings),
        )
    configure_logging(options.log_level)
    configure_tracing(f"stadskamer-{options.service}", console=options.trace_console)
    running = build_server(settings.server, lambda _port: [entry.build_component(settings)])
    print(f"{options.service} is listening on {settings.server.host}:{running.port}", flush=True)
    serve_until_signal(running, settings.server.grace_seconds)
    return 0


def run_migrate(options: argparse.Namespace) -> int:
    """Migrate one service (from env) or every service of the embedded setup."""
    if options.service:
        entry = SERVICES[options.service]
        entry.migrate(entry.from_env(os.environ))
        print(f"migrated {options.service}")
        return 0
    ensure_keys(options.data_dir)
    settings = embedded_server_settings(options.data_dir, "127.0.0.1", 0)
    issuer = TokenIssuer.from_file(KeyLayout.under(options.data_dir).token_private_key)
    context = EmbeddedContext(options.data_dir, settings, 0, issuer)
    for entry in SERVICES.values():
        entry.migrate(entry.embedded(context))
        print(f"migrated {entry.name}")
    return 0
