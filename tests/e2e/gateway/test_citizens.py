"""A BSN entered at the gateway becomes the same citizen as the client library's pseudonym,
and goes no further than the gateway."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from stadskamer.client import PseudonymClient, make_polymorphic_pseudonym
from tests.e2e.gateway.support import Rest
from tests.support.databases import files_containing

BSN = "012345672"
LATER_BSN = "123456782"


def _occurred(minutes_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def _by_client_library(
    rest: Rest, bsn: str, request_id: str
) -> contacts_pb2.RegisterContactResponse:
    token = rest.token("balie-systeem", ["kcc"], ["system"])
    public_key = PseudonymClient(rest.stack.channel, token).public_key()
    request = contacts_pb2.RegisterContactRequest(
        request_id=request_id,
        domain="kcc",
        subject=make_polymorphic_pseudonym(bsn, public_key),
        channel=channel_pb2.CHANNEL_COUNTER,
        topic="parkeervergunning",
        org_unit="balie-noord",
    )
    request.occurred_at.GetCurrentTime()
    stub = contacts_pb2_grpc.ContactsServiceStub(rest.stack.channel)
    return stub.RegisterContact(request, metadata=[("authorization", f"Bearer {token}")])


def _at_gateway(rest: Rest, bsn: str, request_id: str, minutes_ago: int) -> dict[str, object]:
    body = {
        "requestId": request_id,
        "domain": "kcc",
        "bsn": bsn,
        "channel": "phone",
        "topic": "parkeervergunning",
        "orgUnit": "kcc-team",
        "occurredAt": _occurred(minutes_ago),
    }
    response = rest.call("POST", "/contacts", rest.auth("agent-1", ["kcc"], ["agent"]), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["repeat"])


def test_a_bsn_at_the_gateway_and_the_client_librarys_pseudonym_are_one_citizen(
    rest: Rest, spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = _by_client_library(rest, BSN, "library-1")
    assert not first.repeat.is_repeat
    repeat = _at_gateway(rest, BSN, "gateway-1", 0)
    assert repeat["isRepeat"] is True and repeat["previousContacts"] == 1
    assert repeat["sameTopic"] is True and repeat["channels"] == ["counter"]

    assert _at_gateway(rest, LATER_BSN, "gateway-2", 5)["isRepeat"] is False
    second = _by_client_library(rest, LATER_BSN, "library-2")
    assert second.repeat.is_repeat and second.repeat.previous_contacts == 1

    search = {"bsn": BSN, "requesterDomain": "kcc", "purpose": "integrated-contact-history"}
    history = rest.call(
        "POST", "/contact-histories/_search", rest.auth("agent-1", ["kcc"], ["agent"]), json=search
    )
    assert sorted(i["orgUnit"] for i in history.json()["items"]) == ["balie-noord", "kcc-team"]

    attributes = " ".join(str(dict(s.attributes or {})) for s in spans.get_finished_spans())
    assert BSN not in attributes and LATER_BSN not in attributes
    assert BSN not in caplog.text and LATER_BSN not in caplog.text
    assert files_containing(rest.stack.data_dir, [BSN, LATER_BSN]) == []


def test_an_invalid_bsn_is_refused_without_repeating_it(rest: Rest) -> None:
    wrong = "123456789"
    body = {"bsn": wrong}
    response = rest.call("POST", "/consents/_search", rest.auth(), json=body)
    assert response.status_code == 400
    assert response.json()["invalidParams"] == [
        {"name": "bsn", "reason": "must be a valid BSN: nine digits passing the 11-check"}
    ]
    assert wrong not in response.text
    malformed = rest.call("POST", "/consents/_search", rest.auth(), json={"bsn": "12345678x"})
    assert malformed.status_code == 400 and "12345678x" not in malformed.text
