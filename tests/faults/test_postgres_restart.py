"""PostgreSQL restarted under load: UNAVAILABLE (never INTERNAL), then recovery by itself.

Restarts the local PostgreSQL server with ``pg_ctlcluster`` (Debian's cluster tool, as root),
so it runs only where the tests' PostgreSQL URL is that local server; PostgreSQL is started
again at the end whatever happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import pytest

from tests.faults.cluster import cluster
from tests.faults.traffic import DOMAINS, ROLES, Writer, attempt, stored_requests, subjects
from tests.support.databases import POSTGRES_URL

pytestmark = pytest.mark.postgres
CLUSTERS = Path("/etc/postgresql")


def _restart_problem() -> str | None:
    if shutil.which("pg_ctlcluster") is None or not CLUSTERS.is_dir():
        return "pg_ctlcluster is not installed (not a Debian PostgreSQL server)"
    if os.geteuid() != 0:
        return "restarting PostgreSQL needs root"
    if urlsplit(POSTGRES_URL.replace("+psycopg", "")).hostname not in {"127.0.0.1", "localhost"}:
        return f"the test database is not the local server ({POSTGRES_URL})"
    return None


def _cluster_command(action: str) -> None:
    version = sorted(p.name for p in CLUSTERS.iterdir())[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=False,
        capture_output=True,
        timeout=60,
    )


def _ensure_running() -> None:
    ready = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]
    for _ in range(60):
        if subprocess.run(ready, check=False).returncode == 0:
            return
        _cluster_command("start")
        time.sleep(0.5)
    raise RuntimeError("PostgreSQL did not come back")


def test_postgresql_restart_under_load(tmp_path: Path) -> None:
    problem = _restart_problem()
    if problem is not None:
        pytest.skip(f"PostgreSQL restart test skipped: {problem}")
    try:
        with cluster(tmp_path, ["pseudonyms", "audit", "contacts", "complaints"]) as running:
            for service in ("pseudonyms", "audit", "contacts", "complaints"):
                running.start(service)
            token = running.token(DOMAINS, ROLES)
            pool = subjects(grpc.insecure_channel(running.address("pseudonyms")), token, 2)
            contacts = grpc.insecure_channel(running.address("contacts"))
            complaints = grpc.insecure_channel(running.address("complaints"))
            writer = Writer(contacts, complaints, token)
            failures: list[grpc.RpcError] = []
            answered: set[str] = set()
            unanswered: list[str] = []
            stop = threading.Event()

            def load(thread: int) -> None:
                number = 0
                while not stop.is_set():
                    request_id = f"{thread}-{number}"
                    number += 1
                    try:
                        if thread % 2:
                            writer.file(f"k-{request_id}", pool[0], timeout=10)
                            answered.add(f"k-{request_id}")
                        else:
                            writer.register(f"c-{request_id}", pool[1], timeout=10)
                            answered.add(f"c-{request_id}")
                    except grpc.RpcError as error:
                        failures.append(error)
                        unanswered.append(("k-" if thread % 2 else "c-") + request_id)
                        time.sleep(0.05)

            threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(1.0)
            _cluster_command("restart")
            _ensure_running()
            time.sleep(2.0)
            stop.set()
            for thread in threads:
                thread.join()
            assert failures, "the restart interrupted no call"
            codes = {error.code() for error in failures}
            assert codes == {grpc.StatusCode.UNAVAILABLE}
            assert not any("Traceback" in (error.details() or "") for error in failures)

            # Recovered without a restart of the services: the unanswered calls now succeed.
            deadline = time.monotonic() + 30
            for request_id in unanswered:
                kind = writer.register if request_id.startswith("c-") else writer.file
                while attempt(lambda r=request_id, k=kind: k(r, pool[0]))[0] is None:
                    assert time.monotonic() < deadline, "the services did not recover"
                    time.sleep(0.2)
                answered.add(request_id)
            urls, keys = running.urls, running.layout
            written = stored_requests(urls["contacts"], "contacts", keys, answered)
            written += stored_requests(urls["complaints"], "complaints", keys, answered)
            assert set(written) == answered and set(written.values()) == {1}
            contacts.close()
            complaints.close()
    finally:
        _ensure_running()
