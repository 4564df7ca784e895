"""The contacts services the contacts benchmark measures, each started as real commands.

- ``sqlite_target``: ``stadskamer up`` on a fresh data folder, every service in one process
  (the contacts service also announces each new contact to the surveys service there);
- ``served_target``: ``stadskamer serve`` pseudonyms, audit and contacts as three processes,
  configured by environment variables as in a cluster, on fresh SQLite files
  (``sqlite_served_target``) or on fresh schemas of ``STADSKAMER_BENCH_POSTGRES_URL``
  (``postgres_target``, default the local ``test`` database).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from processes import start_process, stop_process
from sqlalchemy import create_engine, text

from stadskamer.cli.keys_commands import ensure_keys, export_domain_key
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.keys import KeyLayout, write_private
from stadskamer.contacts.domain import DEFAULT_DOMAINS

DOMAIN = "kcc"

_LISTENING = re.compile(r"\S+ is listening on (\S+:\d+)")
_COMMAND = str(Path(sys.executable).with_name("stadskamer"))
POSTGRES_URL = os.environ.get(
    "STADSKAMER_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class Target:
    """A running contacts service: address, a token for every domain (roles system and
    issuer: the bench has its citizens issued; service: it measures a claim alone), its
    database."""

    name: str
    address: str
    pseudonyms_address: str
    token: str
    database_url: str
    domain_key: Path
    delivers_events: bool = False


def _start(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start a server command (with extra environment variables) and read its address."""
    prefix = ["env", *(f"{k}={v}" for k, v in (env or {}).items())]
    process, lines = start_process([*prefix, *command], log)
    try:
        match = _LISTENING.match(lines.wait_for("", 120.0))
        if match is None:
            raise RuntimeError(f"unexpected announcement: {lines.seen}")
    except BaseException:
        stop_process(process)
        print(log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
        raise
    return process, match.group(1)


@contextmanager
def sqlite_target(folder: Path) -> Iterator[Target]:
    """``stadskamer up`` on a fresh data folder."""
    data = folder / "sqlite"
    process, address = _start(
        [
            _COMMAND,
            *("up", "--data-dir", str(data), "--grpc-port", "0", "--http-port", "0"),
            *("--log-level", "WARNING"),
        ],
        folder / "up.log",
    )
    try:
        issuer = TokenIssuer.from_file(KeyLayout.under(data).token_private_key)
        token = issuer.issue(
            "bench", list(DEFAULT_DOMAINS), ["system", "issuer", "service"], 8 * 3600
        )
        database = f"sqlite:///{(data / 'contacts.db').resolve()}"
        key = KeyLayout.under(data).domain_key(DOMAIN)
        yield Target("SQLite", address, address, token, database, key, delivers_events=True)
    finally:
        print(f"stadskamer up stopped with exit code {stop_process(process)}")


@contextmanager
def postgres_target(folder: Path) -> Iterator[Target]:
    """The three services served alone, each on its own fresh PostgreSQL schema."""
    schemas = [f"bench_{uuid.uuid4().hex[:10]}" for _ in range(3)]
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    urls = [f"{POSTGRES_URL}?options=-csearch_path%3D{schema}" for schema in schemas]
    try:
        with served_target(folder / "postgres", "PostgreSQL", urls) as target:
            yield target
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def sqlite_served_target(folder: Path) -> Iterator[Target]:
    """The three services served alone, each on its own SQLite file."""
    data = folder / "sqlite-served"
    data.mkdir(parents=True, exist_ok=True)
    urls = [
        f"sqlite:///{(data / f'{s}.db').resolve()}" for s in ("pseudonyms", "contacts", "audit")
    ]
    with served_target(data, "SQLite, a process per service", urls) as target:
        yield target


@contextmanager
def served_target(data: Path, name: str, urls: list[str]) -> Iterator[Target]:
    """``stadskamer serve`` pseudonyms, audit and contacts on ``urls`` (in that order:
    pseudonyms, contacts, audit), as three processes configured like a cluster."""
    data.mkdir(parents=True, exist_ok=True)
    folder = data
    ensure_keys(data)
    layout = KeyLayout.under(data)
    keys = [export_domain_key(layout, d) for d in DEFAULT_DOMAINS]
    issuer = TokenIssuer.from_file(layout.token_private_key)
    tokens = {}
    for service, domains in (("contacts", list(DEFAULT_DOMAINS)), ("audit", ["audit"])):
        tokens[service] = data / f"{service}.token"
        write_private(tokens[service], issuer.issue(service, domains, ["service"]).encode())
    common = {
        "STADSKAMER_GRPC_PORT": "0",
        "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": str(layout.token_public_key),
        "STADSKAMER_LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[str]] = []
    try:
        pseudonyms, pseudonyms_address = _start(
            [_COMMAND, "serve", "pseudonyms"],
            folder / "pseudonyms.log",
            {
                **common,
                "STADSKAMER_PSEUDONYMS_DATABASE_URL": urls[0],
                "STADSKAMER_MASTER_SECRET_FILE": str(layout.master_secret),
                "STADSKAMER_PSEUDONYMISATION_SECRET_FILE": str(layout.pseudonymisation_secret),
                "STADSKAMER_REKEY_SECRET_FILE": str(layout.rekey_secret),
                "STADSKAMER_TAG_KEY_FILE": str(layout.tag_private_key),
                # The audit service needs this one's address, so this one (which records the
                # bench's issuance and key hand-outs) keeps its records in a local file.
                "STADSKAMER_PROCESSING_LOG_DIR": str(data / "processing-log"),
                "STADSKAMER_CONSENT_PUBLIC_KEY_FILE": str(layout.consent_public_key),
            },
        )
        processes.append(pseudonyms)
        audit, audit_address = _start(
            [_COMMAND, "serve", "audit"],
            folder / "audit.log",
            {
                **common,
                "STADSKAMER_AUDIT_DATABASE_URL": urls[2],
                "STADSKAMER_AUDIT_SIGNING_KEY_FILE": str(layout.audit_private_key),
                "STADSKAMER_AUDIT_DOMAIN_KEY_FILE": str(export_domain_key(layout, "audit")),
                "STADSKAMER_PSEUDONYMS_ADDRESS": pseudonyms_address,
                "STADSKAMER_SERVICE_TOKEN_FILE": str(tokens["audit"]),
            },
        )
        processes.append(audit)
        contacts, address = _start(
            [_COMMAND, "serve", "contacts"],
            folder / "contacts.log",
            {
                **common,
                "STADSKAMER_CONTACTS_DATABASE_URL": urls[1],
                "STADSKAMER_PSEUDONYMS_ADDRESS": pseudonyms_address,
                "STADSKAMER_AUDIT_ADDRESS": audit_address,
                "STADSKAMER_SERVICE_TOKEN_FILE": str(tokens["contacts"]),
                "STADSKAMER_CONTACTS_DOMAIN_KEY_FILES": ",".join(map(str, keys)),
            },
        )
        processes.append(contacts)
        token = issuer.issue(
            "bench", list(DEFAULT_DOMAINS), ["system", "issuer", "service"], 8 * 3600
        )
        key = layout.domain_key(DOMAIN)
        yield Target(name, address, pseudonyms_address, token, urls[1], key)
    finally:
        for process in reversed(processes):
            stop_process(process)
