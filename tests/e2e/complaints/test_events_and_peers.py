"""Closing a complaint reaches a real event sink; a down pseudonym service writes nothing."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from sqlalchemy import create_engine, func, select

from stadskamer.api.complaints.v1 import complaints_pb2 as pb
from stadskamer.cli.embedded import embedded_server_settings
from stadskamer.cli.keys_commands import ensure_keys
from stadskamer.cli.registry import SERVICES, EmbeddedContext
from stadskamer.client import PseudonymClient, decrypt_pseudonym
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.keys import KeyLayout
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import Component, build_server
from stadskamer.complaints import bootstrap as complaints
from stadskamer.complaints.adapters.orm import complaints as complaints_table
from stadskamer.complaints.settings import ComplaintsSettings
from stadskamer.pep import tags
from tests.e2e.complaints.support import caller, reason
from tests.integration.complaints.sink import DeduplicatingSink, running_sink
from tests.support.stack import Stack
from tests.support.tagged import tagged

BSN = "123456782"


@contextmanager
def complaints_stack(
    data_dir: Path, event_sinks: tuple[str, ...] = (), pseudonyms_address: str = ""
) -> Iterator[Stack]:
    """Complaints (with these sinks) and, unless given an address, the pseudonym service."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    ensure_keys(data_dir)
    settings = embedded_server_settings(data_dir, "127.0.0.1", 0)
    issuer = TokenIssuer.from_file(KeyLayout.under(data_dir).token_private_key)

    def components(port: int) -> list[Component]:
        context = EmbeddedContext(data_dir, replace(settings, port=port), port, issuer)
        built = []
        if not pseudonyms_address:
            entry = SERVICES["pseudonyms"]
            local = ProcessingLogSettings("pseudonyms", local_dir=data_dir / "processing-log")
            own_log = replace(entry.embedded(context), processing_log=local)  # no audit here
            built.append(entry.build_component(own_log))
        own = ComplaintsSettings.embedded(
            context.server,
            data_dir,
            context.database_url("complaints"),
            pseudonyms_address or context.peer_address,
            context.service_token("complaints", ["klachten"]),
            context.domain_key_file("klachten"),
            event_sinks=event_sinks,
        )
        built.append(complaints.build_component(own))
        return built

    running = build_server(settings, components)
    running.server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield Stack(data_dir, running.port, issuer, channel)
    finally:
        channel.close()
        running.stop(1.0)


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_closing_a_complaint_delivers_one_event_to_the_sink(tmp_path: Path) -> None:
    sink = DeduplicatingSink()
    with running_sink(sink) as address, complaints_stack(tmp_path / "var", (address,)) as stack:
        token = stack.token("c", ["klachten"], ["coordinator", "agent", "issuer"])
        coordinator = caller(stack.channel, token)
        name = coordinator.file(BSN, "ev-1").complaint.name
        coordinator.call("RecordCallback", pb.RecordCallbackRequest(name=name, handling_form=1))
        coordinator.call(
            "DecideComplaint",
            pb.DecideComplaintRequest(
                name=name, outcome=pb.OUTCOME_FOUNDED, handled_by_org_unit="burgerzaken"
            ),
        )
        closed = coordinator.call("CloseComplaint", pb.CloseComplaintRequest(name=name))
        deadline = time.monotonic() + 20
        while not sink.accepted and time.monotonic() < deadline:
            time.sleep(0.05)
        service = PseudonymClient(stack.channel, stack.token("s", ["klachten"], ["service"]))
        key = service.domain_key("klachten")
        expected = decrypt_pseudonym(coordinator.subject(BSN), key)
    [event] = sink.accepted.values()
    assert event.source == "complaints"
    closed_event = event.complaint_closed
    assert closed_event.complaint == name
    assert closed_event.case_number == closed.case_number
    assert closed_event.outcome == pb.OUTCOME_FOUNDED
    assert closed_event.about_official
    assert closed_event.subject_domain == "klachten"
    tag = tags.parse(closed_event.encrypted_subject)
    assert (tag.kind, tag.audience) == (tags.Kind.REFERENCE, "klachten")
    assert decrypt_pseudonym(closed_event.encrypted_subject, key) == expected
    assert BSN.encode() not in event.SerializeToString()
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'complaints.db'}")
    with engine.connect() as connection:
        stored = connection.execute(select(complaints_table.c.subject_reference)).scalar_one()
    engine.dispose()
    assert bytes(stored) != closed_event.encrypted_subject


def test_a_down_pseudonym_service_is_unavailable_and_nothing_is_written(tmp_path: Path) -> None:
    dead = f"127.0.0.1:{_unused_port()}"
    with complaints_stack(tmp_path / "var", pseudonyms_address=dead) as stack:
        agent = caller(stack.channel, stack.token("a", ["klachten"], ["agent"]))
        with pytest.raises(grpc.RpcError) as raised:
            agent.file(BSN, "down-1", subject=tagged("klachten"))
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert reason(raised.value) == "DEPENDENCY_UNAVAILABLE"
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'complaints.db'}")
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(complaints_table))
        assert count.scalar_one() == 0
    engine.dispose()
