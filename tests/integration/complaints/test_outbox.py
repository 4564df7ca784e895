"""The outbox on SQLite and PostgreSQL: events survive a down sink and arrive once it is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from stadskamer import pep
from stadskamer.common.db import sqlite_url
from stadskamer.common.event_sinks import EventIds, GrpcEventSink
from stadskamer.common.keys import DomainKeyFile
from stadskamer.common.outbox import OutboxEvent
from stadskamer.common.outbox_relay import OutboxRelay
from stadskamer.common.server import ServerSettings
from stadskamer.common.settings import ConfigurationError
from stadskamer.complaints.adapters.events import ClosedComplaintSubjects
from stadskamer.complaints.adapters.orm import outbox
from stadskamer.complaints.bootstrap import build_component
from stadskamer.complaints.domain import Outcome
from stadskamer.complaints.settings import ComplaintsSettings
from tests.integration.complaints.sink import FAST_RECONNECT, DeduplicatingSink, running_sink
from tests.integration.complaints.support import AGENT, COORDINATOR, World, bsns

KLACHTEN_SECRET = pep.random_scalar()


def _close_complaints(world: World, count: int) -> list[str]:
    names = []
    for index, bsn in enumerate(bsns(count)):
        name = world.filing.file(AGENT, world.draft(f"c{index}", bsn)).complaint.name
        world.lifecycle.record_callback(COORDINATOR, name, None, 1, False)
        world.lifecycle.decide(COORDINATOR, name, int(Outcome.FOUNDED), "kcc", 0)
        world.lifecycle.close(COORDINATOR, name)
        names.append(name)
    return names


def _pending(world: World) -> int:
    with world.engine.connect() as connection:
        return outbox.pending_count(connection)


def _wait_until(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _free_port() -> int:
    with running_sink(DeduplicatingSink()) as address:
        return int(address.rsplit(":", 1)[1])


def _relay(world: World, sinks: dict[str, Callable[[OutboxEvent], None]]) -> OutboxRelay:
    return OutboxRelay(
        world.engine,
        outbox,
        sinks,
        poll_seconds=0.05,
        initial_backoff_seconds=0.05,
        max_backoff_seconds=0.2,
    )


def test_events_wait_for_a_down_sink_and_arrive_once_after_a_lost_ack(world: World) -> None:
    names = _close_complaints(world, 3)
    port = _free_port()  # nothing listens there now: the sink is down
    address = f"127.0.0.1:{port}"
    channel = grpc.insecure_channel(address, options=FAST_RECONNECT)
    ids = EventIds({"klachten": world.key.secret_key})
    prepare = ClosedComplaintSubjects(world.deps.unit_of_work, world.pseudonyms)
    relay = _relay(world, {address: GrpcEventSink(channel, ids, timeout=2.0, prepare=prepare)})
    try:
        for _ in range(3):
            assert relay.run_once() == 0
            time.sleep(0.25)
        assert _pending(world) == 3
        sink = DeduplicatingSink(lose_first_ack=True)
        with running_sink(sink, port):
            relay.start()
            assert _wait_until(lambda: _pending(world) == 0)
            relay.stop()
    finally:
        relay.stop()
        channel.close()
    assert sorted(e.complaint_closed.complaint for e in sink.accepted.values()) == sorted(names)
    assert all(e.complaint_closed.encrypted_subject for e in sink.accepted.values())
    assert len(sink.accepted) == 3
    assert all(sink.deliveries.count(event_id) >= 2 for event_id in sink.accepted)
    first_seen = list(dict.fromkeys(sink.deliveries))
    assert [sink.accepted[e].complaint_closed.complaint for e in first_seen] == names


def test_an_event_is_done_only_when_every_sink_has_it(world: World) -> None:
    _close_complaints(world, 2)
    received: dict[str, list[str]] = {"up": [], "down": []}
    down = threading.Event()
    down.set()

    def sink(name: str) -> Callable[[OutboxEvent], None]:
        def deliver(event: OutboxEvent) -> None:
            if name == "down" and down.is_set():
                raise ConnectionError("sink down")
            received[name].append(event.event_id)

        return deliver

    relay = _relay(world, {"up": sink("up"), "down": sink("down")})
    assert relay.run_once() == 2
    assert _pending(world) == 2
    assert relay.run_once() == 0  # "up" has both; "down" is backing off or failing
    down.clear()
    deadline = time.monotonic() + 10
    while _pending(world) and time.monotonic() < deadline:
        relay.run_once()
        time.sleep(0.05)
    assert _pending(world) == 0
    assert len(received["up"]) == 2
    assert received["down"] == received["up"]


def test_closing_the_component_stops_the_relay(tmp_path: Path) -> None:
    key_file = tmp_path / "klachten.key.json"
    DomainKeyFile("klachten", "v1", KLACHTEN_SECRET, pep.public_key(KLACHTEN_SECRET)).dump(key_file)
    settings = ComplaintsSettings.embedded(
        ServerSettings(port=0),
        tmp_path,
        sqlite_url(tmp_path, "complaints"),
        "127.0.0.1:9",
        lambda: "token",
        key_file,
        event_sinks=("127.0.0.1:9",),
    )

    def relays() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "outbox-relay"]

    before = len(relays())
    component = build_component(settings)
    assert len(relays()) == before + 1
    component.close()
    assert len(relays()) == before


def test_a_domain_key_of_another_domain_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "kcc.key.json"
    DomainKeyFile("kcc", "v1", KLACHTEN_SECRET, pep.public_key(KLACHTEN_SECRET)).dump(key_file)
    settings = ComplaintsSettings.embedded(
        ServerSettings(port=0),
        tmp_path,
        sqlite_url(tmp_path, "complaints"),
        "127.0.0.1:9",
        lambda: "token",
        key_file,
    )
    with pytest.raises(ConfigurationError, match="klachten"):
        build_component(settings)
