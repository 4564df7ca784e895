"""Helpers of the complaints end-to-end tests: a caller with a token, and status details."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as pb
from stadskamer.api.complaints.v1 import complaints_pb2_grpc as pb_grpc
from stadskamer.client import PseudonymClient
from tests.support.stack import Stack

DESCRIPTION = "Ik ben Petra Jansen en de ambtenaar aan de balie was onbeleefd tegen mij."


@dataclass
class Caller:
    """A ComplaintsService stub with a token, and the pseudonym client that has citizens'
    subjects issued into klachten (with a token of role ``issuer``, as a front end has)."""

    stub: pb_grpc.ComplaintsServiceStub
    token: str
    pseudonyms: PseudonymClient

    def subject(self, bsn: str) -> bytes:
        """A fresh tagged klachten pseudonym of ``bsn`` (each is claimed once)."""
        return self.pseudonyms.issue_one(bsn, "klachten", "complaint-handling")

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The bearer token header."""
        return (("authorization", f"Bearer {self.token}"),)

    def file(self, bsn: str, request_id: str, **fields: object) -> pb.FileComplaintResponse:
        """FileComplaint with sensible defaults for the fields not given."""
        if "subject" not in fields:
            fields["subject"] = self.subject(bsn)
        values: dict[str, object] = {
            "request_id": request_id,
            "channel": channel_pb2.CHANNEL_WEB_FORM,
            "org_unit": "burgerzaken",
            "about_official": True,
            "description": DESCRIPTION,
            **fields,
        }
        request = pb.FileComplaintRequest(**values)  # type: ignore[arg-type]
        response: pb.FileComplaintResponse = self.stub.FileComplaint(
            request, metadata=self.metadata, timeout=10
        )
        return response

    def call(self, method: str, request: object) -> pb.Complaint:
        """Any unary method returning a Complaint."""
        complaint: pb.Complaint = getattr(self.stub, method)(
            request, metadata=self.metadata, timeout=10
        )
        return complaint


def caller(channel: grpc.Channel, token: str, issue_token: str = "") -> Caller:
    """A caller over ``channel`` with ``token``; subjects are issued with ``issue_token``
    (default: ``token`` itself, which then needs the role ``issuer``)."""
    pseudonyms = PseudonymClient(channel, issue_token or token)
    return Caller(pb_grpc.ComplaintsServiceStub(channel), token, pseudonyms)


def stack_caller(stack: Stack, domains: list[str], roles: list[str], sub: str = "e2e") -> Caller:
    """A caller of the embedded stack, whose front end has subjects issued into klachten."""
    issuing = stack.token(f"{sub}-front-end", ["klachten"], ["issuer"])
    return caller(stack.channel, stack.token(sub, domains, roles), issuing)


def violations(error: grpc.RpcError) -> list[str]:
    """The field names of the BadRequest detail."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    fields: list[str] = []
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return fields


def reason(error: grpc.RpcError) -> str:
    """The ErrorInfo reason."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""
