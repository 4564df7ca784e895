"""A peer (pseudonym or audit service) down: UNAVAILABLE, nothing half-written, then recovery."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import grpc
import pytest

from tests.faults.cluster import cluster
from tests.faults.traffic import (
    DOMAINS,
    ROLES,
    Writer,
    attempt,
    stored,
    stored_requests,
    subjects,
)

pytestmark = pytest.mark.postgres


def _until_ok(call: Callable[[], str], seconds: float = 30.0) -> str:
    """Retry ``call`` (same request id) while it is UNAVAILABLE; its answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer, code = attempt(call)
        if answer is not None:
            return answer
        assert code == grpc.StatusCode.UNAVAILABLE
        assert time.monotonic() < deadline, "no recovery after the peer returned"
        time.sleep(0.2)


@pytest.mark.parametrize("peer", ["pseudonyms", "audit"])
def test_an_unreachable_peer_means_unavailable_and_nothing_written(
    tmp_path: Path, peer: str
) -> None:
    with cluster(tmp_path, ["pseudonyms", "audit", "contacts", "complaints"]) as running:
        for service in ("pseudonyms", "audit", "contacts", "complaints"):
            running.start(service)
        token = running.token(DOMAINS, ROLES)
        pool = subjects(grpc.insecure_channel(running.address("pseudonyms")), token, 2)
        contacts = grpc.insecure_channel(running.address("contacts"))
        complaints = grpc.insecure_channel(running.address("complaints"))
        writer = Writer(contacts, complaints, token)
        assert writer.register("before", pool[0]).startswith("contacts/")

        assert running.stop(peer) == 0
        for call in (
            lambda: writer.register("during", pool[1]),
            lambda: writer.file("during", pool[1]),
        ):
            answer, code = attempt(call)
            assert (answer, code) == (None, grpc.StatusCode.UNAVAILABLE)
        asked = ("before", "during")
        contacts_stored = partial(
            stored_requests, running.urls["contacts"], "contacts", running.layout, asked
        )
        complaints_stored = partial(
            stored_requests, running.urls["complaints"], "complaints", running.layout, asked
        )
        assert contacts_stored() == {"before": 1}
        assert complaints_stored() == {}
        assert stored(running.urls["complaints"], "assignments", "complaint_id") == {}

        running.start(peer)
        _until_ok(lambda: writer.register("during", pool[1]))
        _until_ok(lambda: writer.file("during", pool[1]))
        assert contacts_stored() == {"before": 1, "during": 1}
        assert complaints_stored() == {"during": 1}
        contacts.close()
        complaints.close()
