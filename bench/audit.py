"""Benchmark of the processing log: appends with signed heads, proofs, and verify over 1M records.

Part 1 starts the real stack (``stadskamer up`` on a fresh data folder, port 0) as a
subprocess, or uses a running one given ``--address host:port --token T`` (a token with the
roles service, issuer and system and the domain kcc, e.g. the development token of
``stadskamer up``), and
measures against the echo rate:

- AppendRecords with one record naming a citizen (a tagged ``audit/kcc`` subject, as a claim
  hands it to the kcc service: the audit service verifies its tag and decrypts it, with no
  call of its own), at 1 and 16 in flight: records per second, each appended durably with
  its tree nodes and a signed tree head (concurrent calls share a transaction);
- the same without a subject, at 16 in flight;
- AppendRecords with batches of 100 records naming citizens, at 4 in flight (records/s);
- append-and-prove: AppendRecords of one record, then GetInclusionProof of it against the head
  returned, at 16 in flight (what a careful reporter would do);
- GetInclusionProof and GetConsistencyProof (random leaf / first size), at 16 in flight.

Part 2 seeds a fresh audit database with ``--records`` (default 1,000,000) records by direct
bulk insert (leaf data, leaf hashes, every tree node, and a signed head every 1000 records,
as batched appends would leave), then times ``audit verify`` over it. SQLite by default;
``--postgres-url URL`` also runs it on PostgreSQL (a fresh schema, dropped afterwards).

Run: ``.venv/bin/python bench/audit.py [--requests N] [--seconds S] [--records N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from harness import (
    LoadResult,
    measure_echo_rates,
    print_figure,
    print_header,
    print_machine,
    run_load,
)
from pseudonyms import embedded_stack, valid_bsns
from sqlalchemy import create_engine, insert, text, update

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.audit.adapters.database import (
    MIGRATIONS,
    SERVICE,
    audit_engine,
    head_row,
    record_row,
)
from stadskamer.audit.adapters.orm import log_state, processing_records, tree_heads, tree_nodes
from stadskamer.audit.adapters.verifier import verify_log
from stadskamer.audit.domain import NewRecord, ProcessingEntry, Status
from stadskamer.audit.merkle import CompactRange
from stadskamer.audit.tree_heads import TreeHeadSigner
from stadskamer.client import PseudonymClient
from stadskamer.common.db import migrate

CONCURRENCIES = (1, 16)
POOL_SIZE = 500
BATCH = 100
HEAD_EVERY = 1000
CHUNK = 20_000
CITIZENS = 100_000


def _record(subject: bytes = b"") -> pb.ProcessingRecord:
    message = pb.ProcessingRecord(
        record_id=uuid.uuid4().hex,
        trace_id=random.randbytes(16),
        operation_id=random.randbytes(8),
        name="contacts.history.read",
        status=pb.PROCESSING_STATUS_OK,
        outcome="OK",
        actor=f"agent-{random.randrange(50)}",
        requester_domain="kcc",
        target_domain="burgerzaken",
        basis="kcc-contact-history-with-consent",
        subject_tagged=subject,
    )
    message.start_time.GetCurrentTime()
    return message


class Client:
    """The audit stub with the token, and a pool of record subjects."""

    def __init__(self, channel: grpc.Channel, token: str, pool: list[bytes]) -> None:
        self.stub = pb_grpc.ProcessingLogServiceStub(channel)
        self.metadata = [("authorization", f"Bearer {token}")]
        self.pool = pool
        self.subjects = itertools.cycle(pool)

    def append(self, count: int, with_subject: bool = True) -> pb.AppendRecordsResponse:
        """One AppendRecords of ``count`` records."""
        records = [_record(next(self.subjects) if with_subject else b"") for _ in range(count)]
        request = pb.AppendRecordsRequest(records=records)
        return self.stub.AppendRecords(request, metadata=self.metadata, timeout=60)

    def append_and_prove(self) -> object:
        """Append one record, then fetch its inclusion proof against the head returned."""
        response = self.append(1)
        request = pb.GetInclusionProofRequest(
            leaf_index=response.leaf_indexes[0], tree_size=response.tree_head.tree_size
        )
        return self.stub.GetInclusionProof(request, metadata=self.metadata, timeout=10)

    def inclusion(self, size: int) -> object:
        """An inclusion proof of a random leaf in the tree of ``size``."""
        request = pb.GetInclusionProofRequest(leaf_index=random.randrange(size), tree_size=size)
        return self.stub.GetInclusionProof(request, metadata=self.metadata, timeout=10)

    def consistency(self, size: int) -> object:
        """A consistency proof from a random size to ``size``."""
        first = random.randrange(1, size + 1)
        request = pb.GetConsistencyProofRequest(first_size=first, second_size=size)
        return self.stub.GetConsistencyProof(request, metadata=self.metadata, timeout=10)

    def size(self) -> int:
        """The current tree size (GetTreeHead)."""
        head = self.stub.GetTreeHead(pb.GetTreeHeadRequest(), metadata=self.metadata, timeout=10)
        return int(head.tree_size)


def record_subjects(pseudonyms: PseudonymClient, count: int) -> list[bytes]:
    """``count`` citizens issued into kcc and claimed there: their processing-record subjects."""
    issued = pseudonyms.issue(valid_bsns(count), ["kcc"], "contact-registration")
    claims = pseudonyms.claim_many([(answer[0], "kcc") for answer in issued if answer])
    return [claim.audit_subject for claim in claims]


def measure_stack(
    address: str, token: str, requests: int, seconds: float
) -> tuple[dict[str, LoadResult], int]:
    """Every part-1 figure, keyed by name, and the log size afterwards."""
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        pool = record_subjects(PseudonymClient(channel, token, timeout=60), POOL_SIZE)
        client = Client(channel, token, pool)
        plans: list[tuple[str, Callable[[], Callable[[], object]], int, int]] = [
            ("append/1", lambda: lambda: client.append(1), requests, 1),
            ("append/16", lambda: lambda: client.append(1), requests, 16),
            ("plain/16", lambda: lambda: client.append(1, with_subject=False), requests, 16),
            ("batch/4", lambda: lambda: client.append(BATCH), max(8, requests // BATCH), 4),
            ("prove/16", lambda: client.append_and_prove, requests, 16),
            ("inclusion/16", lambda: partial(client.inclusion, client.size()), requests, 16),
            ("consistency/16", lambda: partial(client.consistency, client.size()), requests, 16),
        ]
        results = {
            key: run_load(make, requests=count, concurrency=level, max_seconds=seconds)
            for key, make, count, level in plans
        }
        return results, client.size()


def _template() -> ProcessingEntry:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return ProcessingEntry(
        record_id="0" * 32,
        trace_id=bytes(range(16)),
        operation_id=bytes(range(8)),
        parent_operation_id=b"",
        name="contacts.history.read",
        start_time=moment,
        end_time=moment,
        status=Status.OK,
        outcome="OK",
        purpose="integrated-contact-history",
        legal_basis="AVG art. 6 lid 1 sub a (toestemming)",
        actor="agent-0",
        requester_domain="kcc",
        target_domain="burgerzaken",
        basis="kcc-contact-history-with-consent",
        reference="3",
    )


def seed(url: str, count: int) -> TreeHeadSigner:
    """Bulk-insert ``count`` records with all tree nodes and a signed head every 1000."""
    engine = audit_engine(url)
    migrate(engine, MIGRATIONS, SERVICE)
    signer = TreeHeadSigner(Ed25519PrivateKey.generate())
    tree = CompactRange()
    template = _template()
    logged = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for start in range(0, count, CHUNK):
            rows: list[dict[str, Any]] = []
            nodes: list[dict[str, Any]] = []
            heads: list[dict[str, Any]] = []
            for index in range(start, min(count, start + CHUNK)):
                entry = replace(template, record_id=f"{index:032x}", actor=f"agent-{index % 50}")
                subject = hashlib.sha256(b"%d" % (index % CITIZENS)).digest()
                record = NewRecord(entry, "contacthistorie", 1, subject, "kcc-service").at(
                    index, logged
                )
                row = record_row(record)
                rows.append(row)
                completed = tree.append(row["leaf_hash"])
                nodes += [{"level": lv, "node_index": ix, "hash": h} for lv, ix, h in completed]
                if tree.size % HEAD_EVERY == 0 or tree.size == count:
                    heads.append(head_row(signer.sign(tree.size, tree.root())))
            connection.execute(insert(processing_records), rows)
            connection.execute(insert(tree_nodes), nodes)
            connection.execute(insert(tree_heads), heads)
        connection.execute(update(log_state).values(tree_size=count))
    engine.dispose()
    return signer


def seed_and_verify(url: str, count: int, label: str) -> None:
    """Seed a fresh database and time ``audit verify`` over it; print both."""
    started = time.perf_counter()
    signer = seed(url, count)
    seeded = time.perf_counter() - started
    print(f"{label}: seeded {count:,} records (+ nodes, heads) in {seeded:.1f} s")
    engine = audit_engine(url)
    started = time.perf_counter()
    verified = verify_log(engine, signer.public_key)
    elapsed = time.perf_counter() - started
    engine.dispose()
    rate = verified.size / elapsed
    print(
        f"{label}: audit verify of {verified.size:,} records and {verified.heads:,} signed "
        f"heads: {elapsed:.1f} s ({rate:,.0f} records/s), root {verified.root.hex()}"
    )


def seed_and_verify_postgres(url: str, count: int) -> None:
    """The same on a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"audit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        seed_and_verify(
            f"{url}{separator}options={quote(f'-csearch_path={schema}')}", count, "PostgreSQL"
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    """Parse options, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="calls per figure")
    parser.add_argument("--seconds", type=float, default=5.0, help="time cap per figure")
    parser.add_argument("--records", type=int, default=1_000_000, help="records for verify")
    parser.add_argument("--postgres-url", help="also seed and verify on this PostgreSQL server")
    parser.add_argument("--address", help="host:port of a running stack (else one is started)")
    parser.add_argument("--token", help="bearer token for --address")
    options = parser.parse_args()
    if options.address and not options.token:
        parser.error("--address needs --token")
    print_machine()
    print(f"requests per figure: {options.requests}; cap {options.seconds} s per figure")
    echo = measure_echo_rates((1, 4, 16), requests=options.requests, max_seconds=options.seconds)
    args = (options.requests, options.seconds)
    if options.address:
        results, size = measure_stack(options.address, options.token, *args)
    else:
        with embedded_stack() as (address, token):
            results, size = measure_stack(address, token, *args)
    print_header()
    for level in CONCURRENCIES:
        name = f"AppendRecords x1 + subject, {level} in flight"
        print_figure(name, results[f"append/{level}"], echo[level], unit="rec/s")
    name = "AppendRecords x1 no subject, 16 in flight"
    print_figure(name, results["plain/16"], echo[16], unit="rec/s")
    name = f"AppendRecords x{BATCH} + subjects, 4 in flight"
    print_figure(name, results["batch/4"], echo[4], items_per_call=BATCH, unit="rec/s")
    name = "AppendRecords x1 + GetInclusionProof, 16"
    print_figure(name, results["prove/16"], echo[16], unit="rec/s")
    print_figure("GetInclusionProof, 16 in flight", results["inclusion/16"], echo[16])
    print_figure("GetConsistencyProof, 16 in flight", results["consistency/16"], echo[16])
    print(f"log size after part 1: {size} records", flush=True)
    with tempfile.TemporaryDirectory(prefix="stadskamer-audit-bench-") as folder:
        seed_and_verify(f"sqlite:///{Path(folder) / 'audit.db'}", options.records, "SQLite")
    if options.postgres_url:
        seed_and_verify_postgres(options.postgres_url, options.records)
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"benchmark took {time.perf_counter() - started:.0f} s")
    sys.exit(code)
