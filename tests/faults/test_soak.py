"""A soak of mixed traffic at a fixed rate against ``stadskamer up``: no errors, RSS reported.

Registrations, complaint filings, consent checks, history reads and survey responses,
:data:`RATE` calls per second for :data:`SECONDS` seconds. The survey invitations are created
by API before the clock starts (a token answers once, so one invitation per response). The
server's resident memory at start and end is printed; the end may exceed the start by at most
:data:`RSS_GROWTH_KIB` (generous: it catches a leak, not the filling of caches and connection
pools).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.history.v1 import history_pb2, history_pb2_grpc
from tests.faults.cluster import rss_kib
from tests.faults.conftest import Up
from tests.faults.surveying import Respondents, invitation_tokens
from tests.faults.traffic import Writer, subjects

RATE = 20
SECONDS = 30
RSS_GROWTH_KIB = 150 * 1024
PURPOSE = "integrated-contact-history"
KINDS = 5


def _mix(up: Up) -> list[Callable[[int], object]]:
    pool = subjects(up.channel, up.token, 6)
    writer = Writer(up.channel, up.channel, up.token)
    consent = consent_pb2_grpc.ConsentServiceStub(up.channel)
    history = history_pb2_grpc.HistoryServiceStub(up.channel)

    def check(n: int) -> object:
        request = consent_pb2.CheckConsentRequest(
            subject=pool[n % 6].subject("kcc"),
            purpose=PURPOSE,
            requester_domain="kcc",
            target_domain="burgerzaken",
        )
        return consent.CheckConsent(request, metadata=up.metadata, timeout=10)

    def read(n: int) -> object:
        request = history_pb2.GetHistoryRequest(
            subject=pool[n % 6].subject("kcc"), requester_domain="kcc", purpose=PURPOSE
        )
        return history.GetHistory(request, metadata=up.metadata, timeout=10)

    outbox = up.data_dir / "outbox" / "surveys"
    tokens = invitation_tokens(up.channel, up.token, outbox, math.ceil(RATE * SECONDS / KINDS))
    respondents = Respondents(up.channel, tokens)
    return [
        lambda n: writer.register(f"soak-c-{n}", pool[n % 6]),
        lambda n: writer.file(f"soak-k-{n}", pool[n % 6]),
        check,
        read,
        respondents.answer,
    ]


def test_mixed_traffic_at_a_fixed_rate(up: Up) -> None:
    mix = _mix(up)
    assert len(mix) == KINDS
    start_rss = rss_kib(up.pid)
    started = time.monotonic()
    calls: list[Future[object]] = []
    with ThreadPoolExecutor(16) as pool:
        for n in itertools.count():
            due = started + n / RATE
            if due - started >= SECONDS:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            calls.append(pool.submit(mix[n % len(mix)], n))
    errors = [repr(call.exception()) for call in calls if call.exception() is not None]
    end_rss = rss_kib(up.pid)
    answered = len(calls[KINDS - 1 :: KINDS])
    print(
        f"soak: {len(calls)} calls ({answered} survey responses) in {SECONDS} s, "
        f"server RSS {start_rss} -> {end_rss} KiB"
    )
    assert errors == []
    assert end_rss - start_rss < RSS_GROWTH_KIB
