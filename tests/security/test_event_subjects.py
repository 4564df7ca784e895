"""What a receiver of events can do with the citizen in them: nothing joinable, nothing lasting.

The attacker is the receiving domain (onderzoek): it runs the EventSinkService a sender
delivers to, holds its own service token, and can read the sender's database file too (an
insider with file access). A sender (complaints, contacts) runs on its own database with the
attacker's sink as its receiver, against the stack's pseudonym, consent and audit services.

1. The citizen an event carries is a tagged pseudonym of the sender's domain that the
   sender's database does not hold in any form (not the bytes, not their ciphertext, not
   their tag): the stored reference never leaves as it is, so the receiver's copy joins
   nothing in the sender's store.
2. While fresh, the receiver converts it into its own domain under a push grant (the survey
   it is for). After its tag has expired (401 days later: the pseudonym service's clock is
   moved on), the same bytes convert into nothing, grant or no grant.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as cpb
from stadskamer.api.complaints.v1 import complaints_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2 as consent_pb
from stadskamer.api.consent.v1 import consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2 as contacts_pb
from stadskamer.api.contacts.v1 import contacts_pb2_grpc
from stadskamer.cli.embedded import embedded_server_settings
from stadskamer.cli.registry import SERVICES, EmbeddedContext
from stadskamer.client import PseudonymClient
from stadskamer.common.db import sqlite_url
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.server import build_server
from stadskamer.pep import tags
from tests.e2e.complaints.support import Caller, reason
from tests.integration.complaints.sink import DeduplicatingSink, running_sink
from tests.support.citizens import Citizens
from tests.support.stack import Stack

BSN = "111222333"
RECEIVER = "surveys-service"


@contextmanager
def sender(stack: Stack, service: str, sink: str, folder: Path) -> Iterator[grpc.Channel]:
    """``service`` on its own SQLite file in ``folder``, delivering its events to ``sink``,
    with the stack's keys and peers; a channel to it."""
    folder.mkdir(mode=0o700)
    server = embedded_server_settings(stack.data_dir, "127.0.0.1", 0)
    context = EmbeddedContext(stack.data_dir, server, stack.port, stack.issuer)
    entry = SERVICES[service]
    settings: Any = replace(
        entry.embedded(context), database_url=sqlite_url(folder, service), event_sinks=(sink,)
    )
    running = build_server(server, lambda _port: [entry.build_component(settings)])
    running.server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield channel
    finally:
        channel.close()
        running.stop(1.0)


def close_a_complaint(stack: Stack, channel: grpc.Channel) -> None:
    """File, call back, decide and close a complaint of the citizen."""
    token = stack.token("coordinator-1", ["klachten"], ["coordinator", "agent", "issuer"])
    stub = complaints_pb2_grpc.ComplaintsServiceStub(channel)
    coordinator = Caller(stub, token, PseudonymClient(stack.channel, token))
    name = coordinator.file(BSN, "event-subject-1").complaint.name
    coordinator.call("RecordCallback", cpb.RecordCallbackRequest(name=name, handling_form=1))
    coordinator.call(
        "DecideComplaint",
        cpb.DecideComplaintRequest(
            name=name, outcome=cpb.OUTCOME_FOUNDED, handled_by_org_unit="burgerzaken"
        ),
    )
    coordinator.call("CloseComplaint", cpb.CloseComplaintRequest(name=name))


def register_a_contact(stack: Stack, channel: grpc.Channel) -> None:
    """Register a KCC contact of the citizen."""
    token = stack.token("kcc-agent-1", ["kcc"], ["agent"])
    occurred = Timestamp()
    occurred.GetCurrentTime()
    contacts_pb2_grpc.ContactsServiceStub(channel).RegisterContact(
        contacts_pb.RegisterContactRequest(
            occurred_at=occurred,
            request_id="event-subject-1",
            domain="kcc",
            subject=Citizens(stack.channel, stack.issuer).subject(BSN, "kcc"),
            channel=channel_pb2.CHANNEL_PHONE,
            topic="afval",
            org_unit="kcc-telefonie",
        ),
        metadata=[("authorization", f"Bearer {token}")],
        timeout=10,
    )


SENDERS = {
    "complaint_closed": ("complaints", "klachten", close_a_complaint),
    "contact_registered": ("contacts", "kcc", register_a_contact),
}


def received_subject(stack: Stack, payload: str, folder: Path) -> tuple[bytes, list[Path]]:
    """The subject of the one event the sender delivered, and the sender's database files."""
    service, _, act = SENDERS[payload]
    sink = DeduplicatingSink()
    with running_sink(sink) as address, sender(stack, service, address, folder) as channel:
        act(stack, channel)
        deadline = time.monotonic() + 20
        while not sink.accepted and time.monotonic() < deadline:
            time.sleep(0.05)
    [event] = sink.accepted.values()
    assert event.WhichOneof("payload") == payload
    subject: bytes = getattr(event, payload).encrypted_subject
    return subject, [p for p in folder.iterdir() if p.is_file()]


@pytest.mark.parametrize("payload", sorted(SENDERS))
def test_the_subject_an_event_carries_is_nowhere_in_the_senders_database(
    stack: Stack, tmp_path: Path, payload: str
) -> None:
    subject, files = received_subject(stack, payload, tmp_path / "sender")
    tag = tags.parse(subject)
    assert tag.audience == SENDERS[payload][1]
    stored = b"".join(path.read_bytes() for path in files)
    assert files and stored
    for part in (subject, tag.ciphertext, tag.signature, tag.message()):
        assert part not in stored


def _push(stack: Stack, subject: bytes) -> bytes:
    """The receiver asks for a push grant and has the subject converted into onderzoek."""
    token = stack.token(RECEIVER, ["onderzoek"], ["service"])
    grant = consent_pb2_grpc.ConsentServiceStub(stack.channel).IssueLinkGrant(
        consent_pb.IssueLinkGrantRequest(
            subject=subject,
            purpose="satisfaction-survey",
            requester_domain="onderzoek",
            target_domain="klachten",
        ),
        metadata=[("authorization", f"Bearer {token}")],
        timeout=10,
    )
    return PseudonymClient(stack.channel, token).convert(subject, "onderzoek", grant.link_grant)


class _Later(datetime):
    """The pseudonym service's clock, 401 days on."""

    @classmethod
    def now(cls, tz: Any = None) -> _Later:
        moment = datetime.now(tz) + timedelta(days=401)
        return cls.fromtimestamp(moment.timestamp(), tz or UTC)


def test_an_old_event_subject_replayed_after_its_tag_expired_converts_to_nothing(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject, _ = received_subject(stack, "complaint_closed", tmp_path / "sender")
    fresh = tags.parse(_push(stack, subject))
    assert (fresh.audience, fresh.requester) == ("onderzoek", "onderzoek") and fresh.grant_id
    monkeypatch.setattr("stadskamer.pseudonyms.service.datetime", _Later)
    with pytest.raises((grpc.RpcError, InvalidArgument, PermissionDenied)) as refused:
        _push(stack, subject)
    error = refused.value
    if isinstance(error, grpc.RpcError):
        assert error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED)
        assert reason(error) == "TAG_EXPIRED"
    else:
        assert error.reason == "TAG_EXPIRED"
