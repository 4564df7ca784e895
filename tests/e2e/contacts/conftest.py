"""Helpers of the contacts end-to-end tests: stubs, tokens, requests and status details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import grpc
import pytest
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.api.contacts.v1 import contacts_pb2_grpc as pb_grpc
from stadskamer.client import PseudonymClient
from tests.support.citizens import Citizens
from tests.support.stack import Stack

M = TypeVar("M", bound=Message)
ALL_DOMAINS = ["kcc", "burgerzaken", "sociale-zaken", "belastingen"]


def ago(**delta: float) -> Timestamp:
    """A Timestamp some time before now."""
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(**delta))
    return stamp


@dataclass
class Caller:
    """A stub with a token and its domains, the pseudonym client with that token, and an
    issuer of citizens' subjects."""

    stub: pb_grpc.ContactsServiceStub
    token: str
    pseudonyms: PseudonymClient
    citizens: Citizens
    domains: tuple[str, ...] = ()

    @property
    def metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        """The bearer token header."""
        return (("authorization", f"Bearer {self.token}"),)

    def subject(self, bsn: str, domain: str = "") -> bytes:
        """A freshly issued tagged pseudonym of a BSN for ``domain`` (default: the caller's
        first domain)."""
        return self.citizens.subject(bsn, domain or self.domains[0])

    def register(self, **fields: object) -> pb.RegisterContactResponse:
        """RegisterContact with sensible defaults for the fields not given."""
        values: dict[str, object] = {
            "channel": channel_pb2.CHANNEL_COUNTER,
            "topic": "paspoort",
            "org_unit": "stadswinkel-centrum",
            "occurred_at": ago(hours=1),
            **fields,
        }
        request = pb.RegisterContactRequest(**values)  # type: ignore[arg-type]
        response: pb.RegisterContactResponse = self.stub.RegisterContact(
            request, metadata=self.metadata, timeout=10
        )
        return response

    def all_contacts(self, **filters: object) -> list[pb.Contact]:
        """Every contact the caller sees with these filters, through every page."""
        found: list[pb.Contact] = []
        token = ""
        while True:
            request = pb.ListContactsRequest(page_size=500, page_token=token, **filters)  # type: ignore[arg-type]
            page = self.stub.ListContacts(request, metadata=self.metadata, timeout=10)
            found += page.contacts
            token = page.next_page_token
            if not token:
                return found


def caller(stack: Stack, domains: list[str], roles: list[str], sub: str = "e2e") -> Caller:
    """A caller of the stack with the given token."""
    token = stack.token(sub, domains, roles)
    return Caller(
        pb_grpc.ContactsServiceStub(stack.channel),
        token,
        PseudonymClient(stack.channel, token),
        Citizens(stack.channel, stack.issuer),
        tuple(domains),
    )


def violations(error: grpc.RpcError) -> list[str]:
    """The field names of the BadRequest detail of an error."""
    return [v.field for v in _details(error, error_details_pb2.BadRequest()).field_violations]


def has_retry_info(error: grpc.RpcError) -> bool:
    """Whether the error carries a RetryInfo detail."""
    return _details(error, error_details_pb2.RetryInfo()).HasField("retry_delay")


def _details(error: grpc.RpcError, target: M) -> M:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    details: list[any_pb2.Any] = list(status.details) if status else []
    for detail in details:
        if detail.Unpack(target):
            return target
    return target


@pytest.fixture
def everyone(stack: Stack) -> Caller:
    """A system caller of every contacts domain."""
    return caller(stack, ALL_DOMAINS, ["system"], "test-system")
