"""Benchmark of the contacts service, every figure beside the raw gRPC echo rate.

Servers run as subprocesses of real commands (see ``contacts_targets``); the client runs in
this process. Three targets:

- SQLite, ``stadskamer up``: every service on one server in one process, as ``make run``
  starts it; there the contacts service also announces each new contact to the surveys
  service, whose intake then shares the cores;
- SQLite, a process per service: ``stadskamer serve`` pseudonyms, audit and contacts, each
  with its own SQLite file, configured by environment variables as in a cluster;
- PostgreSQL: the same three processes, each on its own fresh schema of
  ``STADSKAMER_BENCH_POSTGRES_URL`` (default the local ``test`` database).

On each it measures RegisterContact (a new contact of one of 2,000 citizens per call, with a
summary; each call with a freshly issued tagged pseudonym, issued in bulk before the figure
and not timed) at 1 and 16 in flight; where the contacts service announces new contacts to
the surveys service (``stadskamer up``), it then waits until those events are delivered and
prints that rate too, so that no figure runs on the previous one's backlog; the bulk path
(``stadskamer import``'s code: each batch's BSNs issued, then BatchRegisterContacts of 1,000,
two in flight; issuance timed) in contacts/s; then seeds 1,000,000 contacts directly through
the repository and measures ListContacts by subject (page of 50, a fresh tagged pseudonym
claimed per call) at 1 and 16 in flight, and the claim (Transcrypt) alone. Only prints
figures.

Run: ``.venv/bin/python bench/contacts.py [--requests N] [--seconds S] [--rows N] [--only T]``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from contacts_targets import (
    DOMAIN,
    Target,
    postgres_target,
    sqlite_served_target,
    sqlite_target,
)
from google.protobuf.timestamp_pb2 import Timestamp
from harness import (
    EchoRate,
    LoadResult,
    measure_echo_rates,
    print_echo_rates,
    print_figure,
    print_header,
    print_machine,
    run_load,
)
from pseudonyms import valid_bsns
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.api.contacts.v1 import contacts_pb2_grpc as pb_grpc
from stadskamer.cli.contacts_commands import PURPOSE, Progress, register_rows
from stadskamer.cli.contacts_rows import ContactRow
from stadskamer.client import DomainKey, PseudonymClient, decrypt_pseudonym
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.contacts.adapters.repository import (
    ContactFilter,
    ContactRepository,
    StoredContact,
)
from stadskamer.contacts.bootstrap import MIGRATIONS
from stadskamer.contacts.domain import Channel, Contact

CONCURRENCIES = (1, 16)
PEOPLE = 2000
TARGETS = 1000
WARMUP = 300  # more than run_load's unmeasured calls: every call needs its own subject


def _ago(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(seconds=seconds))
    return stamp


def issued(client: PseudonymClient, bsns: list[str], count: int) -> list[bytes]:
    """``count`` freshly issued tagged pseudonyms of ``DOMAIN``, cycling through ``bsns``."""
    wanted = [bsns[i % len(bsns)] for i in range(count)]
    return [answer[0] for answer in client.issue(wanted, [DOMAIN], PURPOSE) if answer]


def register_factory(
    stub: pb_grpc.ContactsServiceStub, token: str, pool: list[bytes]
) -> Callable[[], Callable[[], object]]:
    """Per thread: RegisterContact of a new contact with the next subject of ``pool`` (each
    used once)."""
    metadata = (("authorization", f"Bearer {token}"),)
    numbers = itertools.count()
    run = uuid.uuid4().hex[:8]

    def make() -> Callable[[], object]:
        def call() -> object:
            n = next(numbers)
            request = pb.RegisterContactRequest(
                request_id=f"bench-{run}-{n}",
                domain=DOMAIN,
                subject=pool[n % len(pool)],
                channel=Channel.PHONE.value,
                topic="afval",
                org_unit="kcc-telefonie",
                occurred_at=_ago(60),
                summary="Container niet geleegd, melding doorgezet.",
            )
            return stub.RegisterContact(request, metadata=metadata, timeout=10)

        return call

    return make


def list_factory(
    stub: pb_grpc.ContactsServiceStub, token: str, subjects: list[bytes]
) -> Callable[[], Callable[[], object]]:
    """Per thread: ListContacts of one domain filtered by the next subject of ``subjects``
    (fresh tagged pseudonyms of the target citizens, each used once)."""
    metadata = (("authorization", f"Bearer {token}"),)
    numbers = itertools.count()

    def make() -> Callable[[], object]:
        def call() -> object:
            subject = subjects[next(numbers) % len(subjects)]
            request = pb.ListContactsRequest(domain=DOMAIN, subject=subject, page_size=50)
            page = stub.ListContacts(request, metadata=metadata, timeout=10)
            if not page.contacts:
                raise RuntimeError("a target citizen has no contacts")
            return page

        return call

    return make


def bulk_import(
    target: Target, channel: grpc.Channel, client: PseudonymClient, rows: int
) -> LoadResult:
    """``stadskamer import``'s path for ``rows`` contacts of citizens given by BSN."""
    bsns = valid_bsns(PEOPLE, start=30_000_000)
    start = datetime.now(UTC) - timedelta(days=20)
    contacts = [
        ContactRow(
            f"bulk-{i}",
            DOMAIN,
            Channel.WEB_FORM.value,
            "paspoort",
            "kcc-digitaal",
            start + timedelta(seconds=i),
            False,
            "Vraag over de levertijd.",
            bsn=bsns[i % len(bsns)],
        )
        for i in range(rows)
    ]
    started = time.perf_counter()
    progress = Progress(f"import {target.name}", rows)
    register_rows(channel, target.token, contacts, progress, client)
    seconds = time.perf_counter() - started
    return LoadResult(1, rows, 0, seconds, 0.0, 0.0)


def seed(target: Target, targets: list[bytes], total: int) -> None:
    """Store ``total`` contacts over a year directly: 12 per target citizen, the rest random."""
    rng = random.Random(7)
    engine = make_engine(target.database_url, "contacts-seed")
    migrate(engine, MIGRATIONS, "contacts")
    now = datetime.now(UTC)
    fillers = [rng.randbytes(32) for _ in range(total // 4)]
    subjects = [t for t in targets for _ in range(12)]
    started = time.perf_counter()
    for offset in range(0, total, 20_000):
        batch = []
        for i in range(offset, min(offset + 20_000, total)):
            subject = subjects[i] if i < len(subjects) else rng.choice(fillers)
            moment = now - timedelta(seconds=rng.uniform(3600, 365 * 86400))
            batch.append(
                StoredContact(
                    Contact(
                        str(uuid.uuid4()),
                        DOMAIN,
                        "",
                        subject,
                        Channel(1 + i % 10),
                        "afval",
                        "kcc-telefonie",
                        moment,
                        True,
                        "",
                        now,
                    ),
                    None,
                    "v1",
                    rng.randbytes(32),  # the request digest of a contact stored directly
                )
            )
        with Session(engine) as session:
            ContactRepository(session).add(batch)
            session.commit()
    print(f"{target.name}: seeded {total} contacts in {time.perf_counter() - started:.0f} s")
    engine.dispose()


def drain(target: Target, limit_seconds: float = 600.0) -> LoadResult | None:
    """Wait until the surveys service has every ContactRegistered event; the delivery rate.

    Each new contact is announced to the surveys service (which may invite the citizen);
    waiting keeps that work from running under the next figure. None without a sink.
    """
    if not target.delivers_events:
        return None
    engine = create_engine(target.database_url)
    pending = text("SELECT count(*) FROM outbox_events WHERE delivered_at_us IS NULL")
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            first = int(connection.execute(pending).scalar_one())
        left = first
        while left and time.perf_counter() - started < limit_seconds:
            time.sleep(0.5)
            with engine.connect() as connection:
                left = int(connection.execute(pending).scalar_one())
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    return LoadResult(1, first - left, left, seconds, 0.0, 0.0)


def measure(target: Target, options: argparse.Namespace) -> dict[str, LoadResult]:
    """Every figure of one target, keyed by figure name."""
    results: dict[str, LoadResult] = {}
    with grpc.insecure_channel(target.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        client = PseudonymClient(
            grpc.insecure_channel(target.pseudonyms_address), target.token, timeout=30
        )
        people = valid_bsns(PEOPLE)
        stub = pb_grpc.ContactsServiceStub(channel)
        for level in CONCURRENCIES:
            pool = issued(client, people, options.requests + WARMUP)
            results[f"RegisterContact, {level} in flight"] = run_load(
                register_factory(stub, target.token, pool),
                requests=options.requests,
                concurrency=level,
                max_seconds=options.seconds,
            )
            _note_drain(results, f"events to surveys after {level} in flight", drain(target))
        results["import (BatchRegister x1000, 2 in flight)"] = bulk_import(
            target, channel, client, options.bulk
        )
        _note_drain(results, "events to surveys after the import", drain(target))
        key = DomainKey.from_file(target.domain_key)
        targets = people[:TARGETS]
        subjects = [decrypt_pseudonym(t, key) for t in issued(client, targets, TARGETS)]
        seed(target, subjects, options.rows)
        for level in CONCURRENCIES:
            queries = issued(client, targets, options.requests + WARMUP)
            results[f"ListContacts by subject, {level} in flight"] = run_load(
                list_factory(stub, target.token, queries),
                requests=options.requests,
                concurrency=level,
                max_seconds=options.seconds,
            )
        cursor = iter(issued(client, targets, options.requests + WARMUP))
        results["(part) Transcrypt alone (a claim), 1 in flight"] = run_load(
            lambda: lambda: client.claim(next(cursor), DOMAIN),
            requests=options.requests,
            concurrency=1,
            max_seconds=options.seconds,
        )
    name = f"(part) list query alone, {options.rows:,} rows, 1 in flight"
    results[name] = query_alone(target, subjects, options)
    return results


def _note_drain(results: dict[str, LoadResult], name: str, drained: LoadResult | None) -> None:
    if drained is not None:
        results[name] = drained


def query_alone(target: Target, subjects: list[bytes], options: argparse.Namespace) -> LoadResult:
    """The storage part of ListContacts by subject: the repository query, in this process."""
    engine = make_engine(target.database_url, "contacts-bench")
    sessions = session_factory(engine)
    cursor = itertools.cycle(subjects)

    def call() -> object:
        where = ContactFilter((DOMAIN,), subjects={DOMAIN: next(cursor)})
        with UnitOfWork(sessions) as uow:
            return ContactRepository(uow.session).page(where, None, 51)

    try:
        return run_load(
            lambda: call, requests=options.requests, concurrency=1, max_seconds=options.seconds
        )
    finally:
        engine.dispose()


def main() -> int:
    """Parse options, measure the echo rate and both databases, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="calls per figure")
    parser.add_argument("--seconds", type=float, default=8.0, help="time cap per figure")
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts stored for lists")
    parser.add_argument("--bulk", type=int, default=20_000, help="contacts imported in bulk")
    parser.add_argument(
        "--only", choices=["sqlite", "sqlite-served", "postgresql"], help="one target only"
    )
    options = parser.parse_args()
    print_machine()
    echo = measure_echo_rates(CONCURRENCIES, requests=options.requests, max_seconds=options.seconds)
    with tempfile.TemporaryDirectory(prefix="stadskamer-bench-") as folder:
        for name, target_of in (
            ("sqlite", sqlite_target),
            ("sqlite-served", sqlite_served_target),
            ("postgresql", postgres_target),
        ):
            if options.only in (None, name):
                with target_of(Path(folder)) as target:
                    report(target.name, measure(target, options), echo)
    return 0


def report(database: str, results: dict[str, LoadResult], echo: dict[int, EchoRate]) -> None:
    """Print the figures of one database below the echo rates of the same run."""
    print_header()
    print_echo_rates(echo)
    for name, result in results.items():
        unit = "items/s" if name.startswith(("import", "events")) else "req/s"
        print_figure(f"{database}: {name}", result, echo[result.concurrency], unit=unit)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
