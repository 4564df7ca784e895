"""Services as separate ``stadskamer serve`` processes on PostgreSQL, as in a cluster.

A :class:`Cluster` owns a key folder, one fresh PostgreSQL schema per service and a fixed
port per service (so a restarted or stopped peer comes back at the same address). Each
service is started with the environment variables a deployment would set.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

from stadskamer.cli.keys_commands import ensure_keys, export_domain_key
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.keys import KeyLayout, write_private
from stadskamer.contacts.domain import DEFAULT_DOMAINS
from tests.support.databases import POSTGRES_URL, require_postgres

COMMAND = str(Path(sys.executable).with_name("stadskamer"))
_LISTENING = re.compile(r"\S+ is listening on (\S+:\d+)")
SERVICE_DOMAINS = {
    "pseudonyms": ["pseudonyms"],
    "audit": ["audit"],
    "contacts": list(DEFAULT_DOMAINS),
    "complaints": ["klachten"],
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    """The resident set size of a process in KiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_announced(
    command: list[str], env: dict[str, str], log: Path, timeout: float = 90.0
) -> tuple[subprocess.Popen[str], str]:
    """Start a server command and wait for its ``… is listening on host:port`` line."""
    with log.open("a", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, env={**os.environ, **env}
        )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            match = _LISTENING.match(lines.get(timeout=0.2))
        except queue.Empty:
            continue
        if match:
            return process, match.group(1)
    process.kill()
    code = process.wait()
    output = log.read_text(encoding="utf-8")[-2000:]
    raise RuntimeError(f"{command} did not start (exit code {code}): {output}")


def stop(process: subprocess.Popen[str], timeout: float = 20.0) -> int:
    """SIGTERM, wait (SIGKILL after ``timeout``); the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@dataclass
class Cluster:
    """Keys, schemas and ports of a set of services; start and stop them by name."""

    folder: Path
    urls: dict[str, str]
    ports: dict[str, int]
    issuer: TokenIssuer
    layout: KeyLayout
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    def address(self, service: str) -> str:
        """host:port of a service (fixed for the cluster's life)."""
        return f"127.0.0.1:{self.ports[service]}"

    def token(self, domains: list[str], roles: list[str]) -> str:
        """A caller's token."""
        return self.issuer.issue("faults", domains, roles, 3600)

    def environment(self, service: str) -> dict[str, str]:
        """The environment variables ``stadskamer serve <service>`` gets."""
        token_file = self.folder / f"{service}.token"
        if not token_file.exists():
            domains = SERVICE_DOMAINS[service]
            write_private(token_file, self.issuer.issue(service, domains, ["service"]).encode())
        layout = self.layout
        env = {
            "STADSKAMER_GRPC_PORT": str(self.ports[service]),
            "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": str(layout.token_public_key),
            "STADSKAMER_LOG_LEVEL": "WARNING",
            "STADSKAMER_GRACE_SECONDS": "2",
            "STADSKAMER_SERVICE_TOKEN_FILE": str(token_file),
            "STADSKAMER_PSEUDONYMS_ADDRESS": self.address("pseudonyms"),
            "STADSKAMER_AUDIT_ADDRESS": self.address("audit"),
        }
        url = self.urls[service]
        if service == "pseudonyms":
            del env["STADSKAMER_AUDIT_ADDRESS"]
            env |= {
                "STADSKAMER_PSEUDONYMS_DATABASE_URL": url,
                "STADSKAMER_MASTER_SECRET_FILE": str(layout.master_secret),
                "STADSKAMER_PSEUDONYMISATION_SECRET_FILE": str(layout.pseudonymisation_secret),
                "STADSKAMER_REKEY_SECRET_FILE": str(layout.rekey_secret),
                "STADSKAMER_TAG_KEY_FILE": str(layout.tag_private_key),
                "STADSKAMER_PROCESSING_LOG_DIR": str(self.folder / "processing-log"),
                "STADSKAMER_CONSENT_PUBLIC_KEY_FILE": str(layout.consent_public_key),
            }
        elif service == "audit":
            env |= {
                "STADSKAMER_AUDIT_DATABASE_URL": url,
                "STADSKAMER_AUDIT_SIGNING_KEY_FILE": str(layout.audit_private_key),
                "STADSKAMER_AUDIT_DOMAIN_KEY_FILE": str(export_domain_key(layout, "audit")),
            }
        elif service == "contacts":
            keys = [export_domain_key(layout, d) for d in DEFAULT_DOMAINS]
            env |= {
                "STADSKAMER_CONTACTS_DATABASE_URL": url,
                "STADSKAMER_CONTACTS_DOMAIN_KEY_FILES": ",".join(map(str, keys)),
            }
        else:
            env |= {
                "STADSKAMER_COMPLAINTS_DATABASE_URL": url,
                "STADSKAMER_COMPLAINTS_DOMAIN_KEY_FILE": str(export_domain_key(layout, "klachten")),
            }
        return env

    def start(self, service: str, *arguments: str) -> subprocess.Popen[str]:
        """``stadskamer serve <service> [arguments]``, waiting until it listens.

        One more start when the first fails (as a supervisor restarts it): the PostgreSQL
        server is shared with other suites, and a start that finds it busy exits.
        """
        command = [COMMAND, "serve", service, *arguments]
        log = self.folder / f"{service}.log"
        try:
            process, _address = start_announced(command, self.environment(service), log)
        except RuntimeError:
            time.sleep(1.0)
            process, _address = start_announced(command, self.environment(service), log)
        self.processes[service] = process
        return process

    def stop(self, service: str) -> int:
        """Stop a service gracefully; its exit code."""
        return stop(self.processes.pop(service))

    def kill(self, service: str) -> None:
        """SIGKILL a service (no graceful anything)."""
        process = self.processes.pop(service)
        process.kill()
        process.wait()


@contextmanager
def cluster(folder: Path, services: list[str]) -> Iterator[Cluster]:
    """A cluster of ``services`` on fresh schemas (none started yet); everything removed after."""
    require_postgres()
    ensure_keys(folder)
    layout = KeyLayout.under(folder)
    schemas = {name: f"f_{uuid.uuid4().hex[:10]}" for name in services}
    admin = create_engine(POSTGRES_URL, pool_pre_ping=True)  # survives a server restart
    with admin.begin() as connection:
        for schema in schemas.values():
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    urls = {
        name: f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
        for name, schema in schemas.items()
    }
    ports = {name: free_port() for name in services}
    issuer = TokenIssuer.from_file(layout.token_private_key)
    running = Cluster(folder, urls, ports, issuer, layout)
    try:
        yield running
    finally:
        for process in running.processes.values():
            stop(process)
        with admin.begin() as connection:
            for schema in schemas.values():
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
