"""Scale-out benchmark: RegisterContact with 1, 2 and 4 worker processes on PostgreSQL.

``stadskamer serve pseudonyms`` (one process) and ``stadskamer serve contacts --workers N``
run as subprocesses, configured by environment variables as in a cluster, each on a fresh
schema of ``STADSKAMER_BENCH_POSTGRES_URL`` (default the local ``test`` database). The
client (this process) keeps 16 calls in flight, each thread on its own connection so the
kernel spreads them over the workers (SO_REUSEPORT). It prints each rate and its ratio to
one process. Only prints figures.

Run: ``.venv/bin/python bench/scale.py [--requests N] [--seconds S] [--workers 1 2 4]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from contacts import _COMMAND, DOMAIN, POSTGRES_URL, _start, register_factory
from harness import LoadResult, print_machine, run_load
from processes import stop_process
from pseudonyms import valid_bsns
from sqlalchemy import create_engine, text

from stadskamer.api.contacts.v1 import contacts_pb2_grpc as pb_grpc
from stadskamer.cli.keys_commands import ensure_keys, export_domain_key
from stadskamer.client import PseudonymClient
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.keys import KeyLayout, write_private
from stadskamer.contacts.domain import DEFAULT_DOMAINS

CONCURRENCY = 16
PEOPLE = 500


@contextmanager
def schemas(count: int) -> Iterator[list[str]]:
    """``count`` fresh PostgreSQL schemas as URLs; dropped afterwards."""
    names = [f"scale_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        for name in names:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield [f"{POSTGRES_URL}?options=-csearch_path%3D{name}" for name in names]
    finally:
        with admin.begin() as connection:
            for name in names:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def measure(folder: Path, workers: int, options: argparse.Namespace) -> LoadResult:
    """RegisterContact at CONCURRENCY in flight against ``serve contacts --workers N``."""
    data = folder / f"w{workers}"
    ensure_keys(data)
    layout = KeyLayout.under(data)
    keys = [export_domain_key(layout, d) for d in DEFAULT_DOMAINS]
    issuer = TokenIssuer.from_file(layout.token_private_key)
    token_file = data / "contacts.token"
    write_private(token_file, issuer.issue("contacts", list(DEFAULT_DOMAINS), ["service"]).encode())
    common = {
        "STADSKAMER_GRPC_PORT": "0",
        "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": str(layout.token_public_key),
        "STADSKAMER_LOG_LEVEL": "WARNING",
        "STADSKAMER_PROCESSING_LOG_DIR": str(data / "processing-log"),
    }
    with schemas(2) as urls:
        pseudonyms, pseudonyms_address = _start(
            [_COMMAND, "serve", "pseudonyms"],
            data / "pseudonyms.log",
            {
                **common,
                "STADSKAMER_PSEUDONYMS_DATABASE_URL": urls[0],
                "STADSKAMER_MASTER_SECRET_FILE": str(layout.master_secret),
                "STADSKAMER_PSEUDONYMISATION_SECRET_FILE": str(layout.pseudonymisation_secret),
                "STADSKAMER_REKEY_SECRET_FILE": str(layout.rekey_secret),
            },
        )
        try:
            contacts, address = _start(
                [_COMMAND, "serve", "contacts", "--workers", str(workers)],
                data / "contacts.log",
                {
                    **common,
                    "STADSKAMER_CONTACTS_DATABASE_URL": urls[1],
                    "STADSKAMER_PSEUDONYMS_ADDRESS": pseudonyms_address,
                    "STADSKAMER_SERVICE_TOKEN_FILE": str(token_file),
                    "STADSKAMER_CONTACTS_DOMAIN_KEY_FILES": ",".join(map(str, keys)),
                },
            )
            try:
                token = issuer.issue("bench", list(DEFAULT_DOMAINS), ["system"], 3600)
                with grpc.insecure_channel(pseudonyms_address) as channel:
                    client = PseudonymClient(channel, token)
                    pool = [client.polymorphic_pseudonym(b) for b in valid_bsns(PEOPLE)]
                return run_load(
                    own_connection(address, token, pool),
                    requests=options.requests,
                    concurrency=CONCURRENCY,
                    max_seconds=options.seconds,
                )
            finally:
                stop_process(contacts)
        finally:
            stop_process(pseudonyms)


def own_connection(
    address: str, token: str, pool: list[bytes]
) -> Callable[[], Callable[[], object]]:
    """Per thread: a channel with its own connection, calling RegisterContact."""

    def make() -> Callable[[], object]:
        channel = grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
        grpc.channel_ready_future(channel).result(timeout=30)
        return register_factory(pb_grpc.ContactsServiceStub(channel), token, pool)()

    return make


def main() -> int:
    """Measure every worker count and print rates as ratios to one process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="calls per figure")
    parser.add_argument("--seconds", type=float, default=10.0, help="time cap per figure")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    options = parser.parse_args()
    print_machine()
    print(f"RegisterContact ({DOMAIN}), PostgreSQL, {CONCURRENCY} in flight")
    print(f"{'workers':>7} {'rate req/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'× 1':>6} {'errors':>6}")
    base: float | None = None
    with tempfile.TemporaryDirectory(prefix="stadskamer-scale-") as folder:
        for workers in options.workers:
            result = measure(Path(folder), workers, options)
            base = base or result.rps
            print(
                f"{workers:>7} {result.rps:>11.0f} {result.p50_ms:>8.1f} {result.p99_ms:>8.1f} "
                f"{result.rps / base:>6.2f} {result.errors:>6}",
                flush=True,
            )
            if result.first_error:
                print(f"    first error: {result.first_error[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
