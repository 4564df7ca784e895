"""Attack: poisoned registrations sent alongside honest ones, to fail the honest ones.

Concurrent RegisterContact calls are combined into one conversion call and one transaction.
Two attacker threads keep sending an encryption of the neutral element (made from the public
key alone) while eight agents register 200 contacts: every honest registration must succeed
and every poisoned one must be INVALID_ARGUMENT naming ``subject``, never INTERNAL.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from tests.e2e.contacts.conftest import caller, violations
from tests.security.test_identity_poison import neutral_encryption
from tests.support.stack import Stack

HONEST_THREADS = 8
PER_THREAD = 25
ATTACKERS = 2
BSNS = ["111222333", "123456782", "012345672"]


def test_poisoned_registrations_fail_alone(stack: Stack) -> None:
    stop = threading.Event()
    started = time.monotonic()

    def honest(worker: int) -> list[str]:
        agent = caller(stack, ["kcc"], ["agent"], f"agent-{worker}")
        failures = []
        for n in range(PER_THREAD):
            try:
                agent.register(
                    request_id=f"w{worker}-{n}",
                    domain="kcc",
                    subject=agent.subject(BSNS[n % len(BSNS)]),
                )
            except grpc.RpcError as error:
                failures.append(error.code().name)
        return failures

    def attack(worker: int) -> list[str]:
        attacker = caller(stack, ["kcc"], ["agent"], f"attacker-{worker}")
        poison = neutral_encryption(attacker.pseudonyms.public_key())
        answers = []
        n = 0
        while not stop.is_set() or n < 10:
            n += 1
            try:
                attacker.register(request_id=f"a{worker}-{n}", domain="kcc", subject=poison)
                answers.append("OK")
            except grpc.RpcError as error:
                fields = violations(error)
                answers.append(f"{error.code().name} {','.join(fields)}")
        return answers

    with ThreadPoolExecutor(HONEST_THREADS + ATTACKERS) as pool:
        attacks = [pool.submit(attack, w) for w in range(ATTACKERS)]
        honest_runs = [pool.submit(honest, w) for w in range(HONEST_THREADS)]
        honest_failures = [code for run in honest_runs for code in run.result()]
        stop.set()
        poisoned = [answer for run in attacks for answer in run.result()]
    assert time.monotonic() - started < 60
    assert honest_failures == [], f"{len(honest_failures)} honest registrations failed"
    assert set(poisoned) == {"INVALID_ARGUMENT subject"}
    auditor = caller(stack, ["kcc"], ["system"], "auditor")
    stored = auditor.stub.ListContacts(
        pb.ListContactsRequest(domain="kcc", page_size=500), metadata=auditor.metadata, timeout=10
    )
    assert len(stored.contacts) == HONEST_THREADS * PER_THREAD
