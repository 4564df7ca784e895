"""Fail-closed: an RPC that processes personal data fails, and processes nothing, when its
processing record cannot be written to the audit service.

A small real service ("register a contact") runs on its own server with the project's
interceptors and logs through :class:`RemoteProcessingLog` before it processes anything; it is
given the record subject a claim would have given it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest
from google.protobuf.wrappers_pb2 import BytesValue
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.common.auth import current_principal
from stadskamer.common.keys import KeyLayout
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.remote_processing_log import RemoteProcessingLog
from stadskamer.common.server import Component, ServerSettings, build_server
from tests.support.audit import record_subject
from tests.support.stack import Stack

METHOD = "/stadskamer.test.RegisterService/Register"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def register_service(
    stack: Stack, audit_address: str, token: str
) -> Iterator[tuple[grpc.Channel, list[bytes]]]:
    """The small service; yields a channel to it and the list of what it processed."""
    log = RemoteProcessingLog.connect(audit_address, lambda: token, timeout=2.0)
    processed: list[bytes] = []

    def register(request: BytesValue, context: grpc.ServicerContext) -> BytesValue:
        log.append(
            ProcessingRecord.now(
                "contacts.register",
                "OK",
                actor=current_principal().subject,
                requester_domain="kcc",
                target_domain="kcc",
                subject_tagged=request.value,
            )
        )
        processed.append(request.value)
        return BytesValue(value=b"registered")

    handler = grpc.method_handlers_generic_handler(
        "stadskamer.test.RegisterService",
        {
            "Register": grpc.unary_unary_rpc_method_handler(
                register,
                request_deserializer=BytesValue.FromString,
                response_serializer=BytesValue.SerializeToString,
            )
        },
    )
    component = Component(
        name="register",
        service_names=["stadskamer.test.RegisterService"],
        register=lambda server: server.add_generic_rpc_handlers((handler,)),
        close=log.close,
    )
    settings = ServerSettings(
        port=0, token_public_key_file=KeyLayout.under(stack.data_dir).token_public_key
    )
    running = build_server(settings, lambda _port: [component])
    running.server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield channel, processed
    finally:
        channel.close()
        running.stop(0.5)


def _call(stack: Stack, channel: grpc.Channel, subject: bytes) -> BytesValue:
    call = channel.unary_unary(
        METHOD,
        request_serializer=BytesValue.SerializeToString,
        response_deserializer=BytesValue.FromString,
    )
    token = stack.token("agent-1", ["kcc"], ["agent"])
    return call(BytesValue(value=subject), metadata=[("authorization", f"Bearer {token}")])


def _reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def _audit_size(stack: Stack) -> int:
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    token = stack.token("witness", [], ["analyst"])
    head = stub.GetTreeHead(
        pb.GetTreeHeadRequest(), metadata=[("authorization", f"Bearer {token}")]
    )
    return int(head.tree_size)


def test_with_the_audit_service_unreachable_the_rpc_fails_and_processes_nothing(
    stack: Stack,
) -> None:
    subject = record_subject(stack, "111222333")
    token = stack.token("contacts-service", ["kcc"], ["service"])
    with register_service(stack, f"127.0.0.1:{_closed_port()}", token) as (channel, processed):
        with pytest.raises(grpc.RpcError) as raised:
            _call(stack, channel, subject)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert _reason(raised.value) == "PROCESSING_LOG_UNAVAILABLE"
        assert "111222333" not in (raised.value.details() or "")
        assert processed == []


def test_when_the_audit_service_refuses_the_record_the_rpc_fails_and_processes_nothing(
    stack: Stack,
) -> None:
    subject = record_subject(stack, "111222333")
    before = _audit_size(stack)
    not_a_service = stack.token("contacts-service", ["kcc"], ["agent"])
    with register_service(stack, stack.address, not_a_service) as (channel, processed):
        with pytest.raises(grpc.RpcError) as raised:
            _call(stack, channel, subject)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert _reason(raised.value) == "PROCESSING_LOG_REFUSED"
        assert processed == []
    assert _audit_size(stack) == before


def test_with_the_audit_service_up_the_record_is_written_first(stack: Stack) -> None:
    subject = record_subject(stack, "111222333")
    before = _audit_size(stack)
    token = stack.token("contacts-service", ["kcc"], ["service"])
    with register_service(stack, stack.address, token) as (channel, processed):
        assert _call(stack, channel, subject).value == b"registered"
        assert processed == [subject]
    assert _audit_size(stack) == before + 1
