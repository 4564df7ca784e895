"""``serve --workers 2`` on one PostgreSQL database: no duplicates, no lost writes, clean stops."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import grpc
import pytest

from tests.faults.cluster import Cluster, cluster
from tests.faults.traffic import (
    DOMAINS,
    ROLES,
    Writer,
    in_threads,
    stored,
    stored_requests,
    subjects,
)

pytestmark = pytest.mark.postgres
IDS = 40
COPIES = 4


def _workers(pid: int) -> list[int]:
    """The worker processes of a ``serve --workers`` parent (not multiprocessing's helpers)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    children = [int(child) for child in text.split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _channels(address: str, count: int) -> list[grpc.Channel]:
    """Channels with their own connections, so the kernel spreads them over the workers."""
    options = [("grpc.use_local_subchannel_pool", 1)]
    return [grpc.insecure_channel(address, options=options) for _ in range(count)]


def _burst(running: Cluster, token: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every request id sent COPIES times at once over different connections; the answers."""
    contacts = _channels(running.address("contacts"), COPIES)
    complaints = _channels(running.address("complaints"), COPIES)
    writers = [Writer(a, b, token) for a, b in zip(contacts, complaints, strict=True)]
    pool = subjects(grpc.insecure_channel(running.address("pseudonyms")), token, 4)
    calls = []
    for n in range(IDS):
        for writer in writers:
            calls.append(lambda w=writer, n=n: w.register(f"w-c-{n}", pool[n % 4]))
            calls.append(lambda w=writer, n=n: w.file(f"w-k-{n}", pool[n % 4]))
    outcomes = in_threads(calls, threads=16)
    for channel in [*contacts, *complaints]:
        channel.close()
    failures = [code for _result, code in outcomes if code is not None]
    assert failures == []
    ids: dict[str, set[str]] = {}
    numbers: dict[str, set[str]] = {}
    for index, (result, _code) in enumerate(outcomes):
        n, kind = divmod(index, 2 * COPIES)
        target = ids if kind % 2 == 0 else numbers
        target.setdefault(str(n // 1), set()).add(str(result))
    return ids, numbers


def test_two_workers_share_one_database_without_duplicates(tmp_path: Path) -> None:
    with cluster(tmp_path, ["pseudonyms", "audit", "contacts", "complaints"]) as running:
        running.start("pseudonyms")
        running.start("audit")
        parent = running.start("contacts", "--workers", "2")
        running.start("complaints", "--workers", "2")
        assert len(_workers(parent.pid)) == 2
        ids, numbers = _burst(running, running.token(DOMAINS, ROLES))

        # Every retry of one request id answered with the same contact and the same case.
        assert all(len(answers) == 1 for answers in ids.values())
        assert all(len(answers) == 1 for answers in numbers.values())
        asked = [f"w-{kind}-{n}" for kind in "ck" for n in range(IDS)]
        contacts = stored_requests(running.urls["contacts"], "contacts", running.layout, asked)
        assert contacts == {f"w-c-{n}": 1 for n in range(IDS)}
        complaints = stored_requests(
            running.urls["complaints"], "complaints", running.layout, asked
        )
        assert complaints == {f"w-k-{n}": 1 for n in range(IDS)}
        cases = stored(running.urls["complaints"], "complaints", "case_number")
        assert len(cases) == IDS and set(cases.values()) == {1}
        assert {next(iter(answers)) for answers in numbers.values()} == set(cases)

        assert running.stop("contacts") == 0


def test_a_dead_worker_stops_the_service_with_a_failure(tmp_path: Path) -> None:
    with cluster(tmp_path, ["pseudonyms", "audit", "contacts"]) as running:
        running.start("pseudonyms")
        parent = running.start("contacts", "--workers", "2")
        workers = _workers(parent.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        assert parent.wait(30) == 1
        time.sleep(0.2)
        assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
        running.processes.pop("contacts")
