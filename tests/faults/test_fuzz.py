"""Every RPC fuzzed with generated and mutated requests against ``stadskamer up``.

No call may end INTERNAL, UNKNOWN or DATA_LOSS (an unhandled server error), the server must
still answer health afterwards, and its resident memory may grow by at most
:data:`RSS_GROWTH_KIB` over the whole run (caches and pools fill up once; a leak per call
over thousands of calls would exceed it).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stadskamer.api
from tests.faults.cluster import rss_kib
from tests.faults.conftest import Up
from tests.faults.protofuzz import messages, mutations
from tests.faults.traffic import complaint_request, contact_request, subjects

EXAMPLES = 50
RSS_GROWTH_KIB = 200 * 1024
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS}


def _methods() -> list[MethodDescriptor]:
    found: list[MethodDescriptor] = []
    root = Path(next(iter(stadskamer.api.__path__)))
    for path in sorted(root.glob("*/v1/*_pb2.py")):
        module = importlib.import_module(f"stadskamer.api.{path.parent.parent.name}.v1.{path.stem}")
        for service in module.DESCRIPTOR.services_by_name.values():
            found.extend(service.methods)
    return found


METHODS = _methods()


def _seeds(up: Up) -> dict[str, Message]:
    """Valid requests to mutate, by method name; other methods mutate an empty request."""
    citizen = subjects(up.channel, up.token, 1)[0]
    return {
        "RegisterContact": contact_request("fuzz-seed", citizen.subject("kcc")),
        "FileComplaint": complaint_request("fuzz-seed", citizen.subject("klachten")),
    }


def _health(up: Up) -> int:
    stub = health_pb2_grpc.HealthStub(up.channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(), timeout=10).status)


def _fuzz(up: Up, method: MethodDescriptor, seed: Message | None, problems: list[str]) -> None:
    """EXAMPLES generated or mutated requests to one method; forbidden outcomes noted."""
    request_class = message_factory.GetMessageClass(method.input_type)
    call = up.channel.unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=lambda b: b,
    )
    strategy = st.one_of(messages(method.input_type), mutations(seed or request_class()))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def fuzz(request: Message) -> None:
        try:
            call(request, metadata=up.metadata, timeout=15)
        except grpc.RpcError as error:
            if error.code() in FORBIDDEN:
                problems.append(f"{method.full_name}: {error.code()} {error.details()}")

    fuzz()


def test_every_rpc_survives_fuzzed_requests(up: Up) -> None:
    seeds = _seeds(up)
    before = rss_kib(up.pid)
    problems: list[str] = []
    for method in METHODS:
        _fuzz(up, method, seeds.get(method.name), problems)
    after = rss_kib(up.pid)
    print(f"fuzz: {len(METHODS)} RPCs x {EXAMPLES} examples, server RSS {before} -> {after} KiB")
    assert problems == []
    assert _health(up) == health_pb2.HealthCheckResponse.SERVING
    assert after - before < RSS_GROWTH_KIB
