"""Kill -9 during a burst of writes, restart, retry the unanswered: every write exactly once.

Each round starts the servers, first retries (same request ids) every call of the previous
round that got no answer, then sends a burst of RegisterContact and FileComplaint calls with
new request ids from threads and SIGKILLs the servers in the middle of it. After the last
round the servers start once more for the final retries. Then every request id is stored
exactly once, and every answer a caller got (contact name, case number) is what is stored.
"""

from __future__ import annotations

import random
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from sqlalchemy import create_engine, text

from stadskamer.cli.keys_commands import ensure_keys
from stadskamer.client import DomainKey
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.db import sqlite_url
from stadskamer.common.keys import KeyLayout
from stadskamer.common.request_ids import RequestDigest
from tests.faults.cluster import COMMAND, cluster, free_port, start_announced
from tests.faults.traffic import (
    DOMAINS,
    ROLES,
    StockedCitizen,
    Writer,
    in_threads,
    stored_requests,
    subjects,
)

ROUNDS = 20
BURST = 12  # per kind: RegisterContact and FileComplaint calls per round


@dataclass
class Ledger:
    """What the callers know: answered request ids with their answer, and the unanswered."""

    answers: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    retried: int = 0

    def record(self, request_id: str, answer: str | None) -> None:
        """One call's outcome."""
        if answer is None:
            self.pending.append(request_id)
        else:
            self.answers[request_id] = answer


@dataclass(frozen=True)
class Target:
    """How to (re)start and kill the servers under test."""

    start: Callable[[], tuple[str, str, str]]  # contacts, complaints, pseudonyms addresses
    kill: Callable[[], None]
    contacts_url: str
    complaints_url: str
    token: str
    keys: KeyLayout


def _writer(addresses: tuple[str, str, str], token: str) -> tuple[Writer, list[StockedCitizen]]:
    """Channels to the (re)started servers, and citizens with pseudonyms issued before the
    burst (what is killed is the write, not the issuance)."""
    contacts, complaints, pseudonyms = (grpc.insecure_channel(a) for a in addresses)
    citizens = subjects(pseudonyms, token, 3)
    pool = [StockedCitizen.of(c, ("kcc", "klachten"), 2 * BURST) for c in citizens]
    return Writer(contacts, complaints, token), pool


def _call(writer: Writer, request_id: str, subject: StockedCitizen) -> Callable[[], str]:
    if request_id.startswith("c-"):
        return lambda: writer.register(request_id, subject, timeout=5)
    return lambda: writer.file(request_id, subject, timeout=5)


def _rounds(target: Target, rounds: int = ROUNDS) -> Ledger:
    ledger = Ledger()
    rng = random.Random(9)
    for number in range(rounds + 1):
        writer, pool = _writer(target.start(), target.token)
        retries, ledger.pending = ledger.pending, []
        ledger.retried += len(retries)
        for request_id, (answer, code) in zip(
            retries, in_threads([_call(writer, r, pool[0]) for r in retries]), strict=True
        ):
            assert code is None, f"retry of {request_id} after a restart failed: {code}"
            ledger.record(request_id, answer)
        if number == rounds:
            break
        ids = [f"{kind}-{number}-{n}" for n in range(BURST) for kind in ("c", "k")]
        killer = threading.Timer(rng.uniform(0.05, 0.4), target.kill)
        killer.start()
        outcomes = in_threads([_call(writer, r, pool[i % 3]) for i, r in enumerate(ids)])
        killer.join()
        for request_id, (answer, _code) in zip(ids, outcomes, strict=True):
            ledger.record(request_id, answer)
        writer.contacts.close()
        writer.complaints.close()
    return ledger


def _check(target: Target, ledger: Ledger) -> None:
    everything = {f"{k}-{r}-{n}" for r in range(ROUNDS) for n in range(BURST) for k in "ck"}
    assert set(ledger.answers) == everything and ledger.pending == []
    assert ledger.retried > 0, "no call was ever cut off by a kill"
    contacts = stored_requests(target.contacts_url, "contacts", target.keys, everything)
    complaints = stored_requests(target.complaints_url, "complaints", target.keys, everything)
    assert {r for r in everything if r.startswith("c-")} == set(contacts)
    assert {r for r in everything if r.startswith("k-")} == set(complaints)
    assert set(contacts.values()) == {1} and set(complaints.values()) == {1}
    digest = RequestDigest(DomainKey.from_file(target.keys.domain_key("klachten")).secret_key)
    engine = create_engine(target.complaints_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT request_digest, case_number FROM complaints"))
        numbers = {bytes(row[0]): str(row[1]) for row in rows}
    engine.dispose()
    assert {digest(r): a for r, a in ledger.answers.items() if r.startswith("k-")} == numbers
    assert len(set(numbers.values())) == len(numbers)
    names = {a for r, a in ledger.answers.items() if r.startswith("c-")}
    assert len(names) == len(contacts)


def test_kill_9_of_stadskamer_up_on_sqlite(tmp_path: Path) -> None:
    data = tmp_path / "var"
    ensure_keys(data)
    port = free_port()
    issuer = TokenIssuer.from_file(KeyLayout.under(data).token_private_key)
    process: list[subprocess.Popen[str]] = []

    def start() -> tuple[str, str, str]:
        command = [COMMAND, "up", "--data-dir", str(data), "--grpc-port", str(port)]
        server, address = start_announced(
            [*command, "--http-port", "0", "--log-level", "WARNING"], {}, tmp_path / "up.log"
        )
        process.append(server)
        return address, address, address

    def kill() -> None:
        process[-1].kill()
        process[-1].wait()

    token = issuer.issue("faults", DOMAINS, ROLES, 3600)
    urls = (sqlite_url(data, "contacts"), sqlite_url(data, "complaints"))
    target = Target(start, kill, *urls, token, KeyLayout.under(data))
    try:
        ledger = _rounds(target)
    finally:
        kill()
    _check(target, ledger)


@pytest.mark.postgres
def test_kill_9_of_serve_processes_on_postgresql(tmp_path: Path) -> None:
    services = ["pseudonyms", "audit", "contacts", "complaints"]
    with cluster(tmp_path, services) as running:
        running.start("pseudonyms")
        running.start("audit")

        def start() -> tuple[str, str, str]:
            starters = [
                threading.Thread(target=running.start, args=(name,))
                for name in ("contacts", "complaints")
            ]
            for starter in starters:
                starter.start()
            for starter in starters:
                starter.join()
            assert {"contacts", "complaints"} <= set(running.processes)
            names = ("contacts", "complaints", "pseudonyms")
            addresses = tuple(running.address(name) for name in names)
            return addresses[0], addresses[1], addresses[2]

        def kill() -> None:
            running.kill("contacts")
            running.kill("complaints")

        token = running.token(DOMAINS, ROLES)
        urls = (running.urls["contacts"], running.urls["complaints"])
        target = Target(start, kill, *urls, token, running.layout)
        _check(target, _rounds(target))
