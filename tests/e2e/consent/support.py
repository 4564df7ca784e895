"""The embedded stack with a movable consent clock, and small gRPC helpers for the suites."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import create_engine, func, select

from stadskamer import pep
from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.api.consent.v1 import consent_pb2_grpc as pb_grpc
from stadskamer.cli.keys_commands import export_domain_key
from stadskamer.cli.registry import SERVICES
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.keys import KeyLayout, init_keys, read_ed25519_public_key
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import ServerSettings
from stadskamer.consent.adapters.orm import consents
from stadskamer.consent.bootstrap import create_server
from stadskamer.consent.settings import ConsentSettings
from tests.support.citizens import Citizens
from tests.support.stack import Stack, running_stack
from tests.unit.consent.fakes import FakeClock

HISTORY = "integrated-contact-history"


@dataclass
class ConsentStack:
    """A running stack with helpers for the consent suites."""

    stack: Stack

    @property
    def consent(self) -> pb_grpc.ConsentServiceStub:
        """A ConsentService stub on the stack's channel."""
        return pb_grpc.ConsentServiceStub(self.stack.channel)

    def auth(self, sub: str, domains: list[str], roles: list[str]) -> list[tuple[str, str]]:
        """Call metadata with a fresh token."""
        return [("authorization", f"Bearer {self.stack.token(sub, domains, roles)}")]

    def subject(self, bsn: str, domain: str = "kcc") -> bytes:
        """A freshly issued tagged pseudonym of ``bsn`` for ``domain`` (as its edge would)."""
        return Citizens(self.stack.channel, self.stack.issuer).subject(bsn, domain)

    def consent_key(self) -> Ed25519PublicKey:
        """The consent public key from the data folder (as the pseudonym service reads it)."""
        return read_ed25519_public_key(KeyLayout.under(self.stack.data_dir).consent_public_key)


@contextmanager
def consent_stack_at(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ConsentStack, FakeClock]]:
    """Start the whole embedded stack, the consent service reading the yielded clock."""
    clock = FakeClock(datetime.now(UTC))
    entry = SERVICES["consent"]
    embedded = entry.embedded
    monkeypatch.setitem(
        SERVICES,
        "consent",
        replace(entry, embedded=lambda ctx: replace(embedded(ctx), clock=clock)),
    )
    with running_stack(data_dir) as stack:
        yield ConsentStack(stack), clock


def grant_request(
    subject: bytes, purpose: str = HISTORY, **fields: object
) -> pb.GrantConsentRequest:
    """A valid GrantConsent request, captured by phone by the calling agent."""
    request = pb.GrantConsentRequest(
        request_id=uuid.uuid4().hex,
        subject=subject,
        purpose=purpose,
        purpose_version=1,
        capture=pb.Capture(channel=channel_pb2.CHANNEL_PHONE, method=pb.CAPTURE_METHOD_AGENT),
    )
    for name, value in fields.items():
        setattr(request, name, value)
    return request


def consent_rows(database_url: str) -> int:
    """How many consents a consent database holds."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(consents)).scalar_one())
    finally:
        engine.dispose()


def error_reason(error: grpc.RpcError) -> str:
    """The ErrorInfo reason of a failed call."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def bad_fields(error: grpc.RpcError) -> set[str]:
    """The field names of a BadRequest detail."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    fields: set[str] = set()
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields |= {v.field for v in bad.field_violations}
    return fields


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def consent_alone(folder: Path) -> Iterator[tuple[grpc.Channel, str, str]]:
    """The consent service alone, its pseudonym service address pointing at nothing.

    Yields a channel to it, an agent token of ``kcc`` and the database URL.
    """
    layout = KeyLayout.under(folder)
    init_keys(layout, pep.random_scalar())
    issuer = TokenIssuer.from_file(layout.token_private_key)
    database = f"sqlite:///{folder / 'consent.db'}"
    settings = ConsentSettings(
        server=ServerSettings(port=0, token_public_key_file=layout.token_public_key),
        database_url=database,
        pseudonyms_address=f"127.0.0.1:{_unused_port()}",
        domain_key_file=export_domain_key(layout, "consent"),
        signing_key_file=layout.consent_private_key,
        processing_log=ProcessingLogSettings("consent", local_dir=folder / "processing-log"),
        service_token=lambda: issuer.issue("consent-service", ["consent"], ["service"]),
    )
    running, port = create_server(settings)
    running.server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel, issuer.issue("agent-1", ["kcc"], ["agent"]), database
    finally:
        channel.close()
        running.stop(1.0)
