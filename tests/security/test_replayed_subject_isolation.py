"""Attack (issue 14, "make one caller's bad input fail another caller's request"): a spent
tagged pseudonym replayed alongside honest registrations, to fail them.

Concurrent RegisterContact calls are combined into one claim call. A claim call that meets a
spent pseudonym fails, and may have spent the honest pseudonyms before it in that call. Two
attacker threads (KCC agents with valid tokens) keep sending the pseudonym of a contact they
registered before, under new request ids, while eight agents register 200 contacts: every
honest registration must succeed, every replay must be PERMISSION_DENIED (``TAG_SPENT``).

Real servers on port 0 (the embedded stack), real tokens, only public gRPC contracts.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import grpc

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from tests.e2e.contacts.conftest import caller
from tests.support.citizens import Citizens
from tests.support.stack import Stack

HONEST_THREADS = 8
PER_THREAD = 25
ATTACKERS = 2
BSNS = ["111222333", "123456782", "012345672"]


def test_replayed_subjects_fail_alone(stack: Stack) -> None:
    citizens = Citizens(stack.channel, stack.issuer)
    subjects = citizens.subjects(BSNS * (HONEST_THREADS * PER_THREAD // 3 + 1), "kcc")
    stop = threading.Event()

    def honest(worker: int) -> list[str]:
        agent = caller(stack, ["kcc"], ["agent"], f"agent-{worker}")
        failures = []
        for n in range(PER_THREAD):
            try:
                agent.register(
                    request_id=f"w{worker}-{n}",
                    domain="kcc",
                    subject=subjects[worker * PER_THREAD + n],
                )
            except grpc.RpcError as error:
                failures.append(error.code().name)
        return failures

    def attack(worker: int) -> list[str]:
        attacker = caller(stack, ["kcc"], ["agent"], f"attacker-{worker}")
        spent = attacker.subject(BSNS[0], "kcc")
        attacker.register(request_id=f"a{worker}-0", domain="kcc", subject=spent)
        answers = []
        n = 0
        while not stop.is_set() or n < 10:
            n += 1
            try:
                attacker.register(request_id=f"a{worker}-{n}", domain="kcc", subject=spent)
                answers.append("OK")
            except grpc.RpcError as error:
                answers.append(error.code().name)
        return answers

    with ThreadPoolExecutor(HONEST_THREADS + ATTACKERS) as pool:
        attacks = [pool.submit(attack, w) for w in range(ATTACKERS)]
        honest_runs = [pool.submit(honest, w) for w in range(HONEST_THREADS)]
        honest_failures = [code for run in honest_runs for code in run.result()]
        stop.set()
        replayed = [answer for run in attacks for answer in run.result()]
    assert honest_failures == [], f"{len(honest_failures)} honest registrations failed"
    assert set(replayed) == {"PERMISSION_DENIED"}
    auditor = caller(stack, ["kcc"], ["system"], "auditor")
    stored = auditor.stub.ListContacts(
        pb.ListContactsRequest(domain="kcc", page_size=500), metadata=auditor.metadata, timeout=10
    )
    assert len(stored.contacts) == HONEST_THREADS * PER_THREAD + ATTACKERS
