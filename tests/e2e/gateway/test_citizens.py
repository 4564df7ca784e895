"""A BSN entered at the gateway is issued by the pseudonym service, as the caller, into the one
domain the route needs; it is the same citizen as one issued with the client library, and the
number goes no further than the issuance."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from tests.e2e.gateway.support import Rest
from tests.support.audit import audit_records
from tests.support.citizens import Citizens
from tests.support.databases import files_containing

BSN = "012345672"
LATER_BSN = "123456782"
AGENT = ["agent", "issuer"]
PURPOSE = "integrated-contact-history"


def _occurred(minutes_ago: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def _by_client_library(
    rest: Rest, bsn: str, request_id: str
) -> contacts_pb2.RegisterContactResponse:
    token = rest.token("balie-systeem", ["kcc"], ["system"])
    request = contacts_pb2.RegisterContactRequest(
        request_id=request_id,
        domain="kcc",
        subject=Citizens(rest.stack.channel, rest.stack.issuer).subject(bsn, "kcc"),
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
    response = rest.call("POST", "/contacts", rest.auth("agent-1", ["kcc"], AGENT), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["repeat"])


def test_a_bsn_at_the_gateway_and_one_issued_by_the_client_library_are_one_citizen(
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

    search = {"bsn": BSN, "requesterDomain": "kcc", "purpose": PURPOSE}
    history = rest.call(
        "POST", "/contact-histories/_search", rest.auth("agent-1", ["kcc"], AGENT), json=search
    )
    assert history.status_code == 200, history.text
    assert sorted(i["orgUnit"] for i in history.json()["items"]) == ["balie-noord", "kcc-team"]

    attributes = " ".join(str(dict(s.attributes or {})) for s in spans.get_finished_spans())
    assert BSN not in attributes and LATER_BSN not in attributes
    assert BSN not in caplog.text and LATER_BSN not in caplog.text
    assert files_containing(rest.stack.data_dir, [BSN, LATER_BSN]) == []


def _route_bodies() -> dict[str, tuple[str, list[str], dict[str, Any], str]]:
    """Per route: path, the agent's domains, a body, and the audience it must issue into."""
    capture = {"channel": "phone", "method": "agent"}
    consent = {"purpose": PURPOSE, "purposeVersion": 1, "capture": capture}
    return {
        "contact": (
            "/contacts",
            ["kcc", "burgerzaken"],
            {
                "requestId": "route-contact",
                "domain": "burgerzaken",
                "channel": "phone",
                "topic": "paspoort",
                "orgUnit": "balie",
                "occurredAt": _occurred(),
            },
            "burgerzaken",
        ),
        "complaint": (
            "/complaints",
            ["kcc", "klachten"],
            {
                "requestId": "route-complaint",
                "channel": "phone",
                "orgUnit": "burgerzaken",
                "description": "Geen antwoord gekregen.",
            },
            "klachten",
        ),
        "history": (
            "/contact-histories/_search",
            ["onderzoek", "kcc"],
            {"requesterDomain": "kcc", "purpose": PURPOSE},
            "kcc",
        ),
        "check": (
            "/consent-checks",
            ["kcc", "onderzoek"],
            {"purpose": PURPOSE, "requesterDomain": "onderzoek", "targetDomain": "kcc"},
            "onderzoek",
        ),
        "consents-first-domain": (
            "/consents/_search",
            ["audit", "belastingen", "kcc"],
            {},
            "belastingen",
        ),
        "consents-named-domain": (
            "/consents/_search",
            ["kcc", "klachten"],
            {"domain": "klachten"},
            "klachten",
        ),
        "consent-of-the-purpose": (
            "/consents",
            ["onderzoek", "kcc"],
            {"requestId": "route-consent", **consent},
            "kcc",
        ),
    }


def test_each_route_has_the_bsn_issued_as_the_caller_into_exactly_its_audience(rest: Rest) -> None:
    for name, (path, domains, body, audience) in _route_bodies().items():
        actor = f"route-{name}"
        rest.call("POST", path, rest.auth(actor, domains, AGENT), json={**body, "bsn": BSN})
        records = audit_records(rest.stack.data_dir, "pseudonyms.issue")
        mine = [r for r in records if r["actor"] == actor]
        assert [r["target_domain"] for r in mine] == [audience], name


def test_an_invalid_bsn_is_refused_without_repeating_it_or_issuing(rest: Rest) -> None:
    wrong = "123456789"
    headers = rest.auth("agent-typo", ["kcc"], AGENT)
    response = rest.call("POST", "/consents/_search", headers, json={"bsn": wrong})
    assert response.status_code == 400
    assert response.json()["invalidParams"] == [
        {"name": "bsn", "reason": "must be a valid BSN: nine digits passing the 11-check"}
    ]
    assert wrong not in response.text
    malformed = rest.call("POST", "/consents/_search", headers, json={"bsn": "12345678x"})
    assert malformed.status_code == 400 and "12345678x" not in malformed.text
    issues = audit_records(rest.stack.data_dir, "pseudonyms.issue")
    assert [r for r in issues if r["actor"] == "agent-typo"] == []


def test_a_tagged_pseudonym_of_another_domain_is_refused_at_the_edge(rest: Rest) -> None:
    body = {
        "requestId": "tagged-elsewhere",
        "domain": "kcc",
        "taggedPseudonym": base64.b64encode(
            Citizens(rest.stack.channel, rest.stack.issuer).subject(BSN, "burgerzaken")
        ).decode(),
        "channel": "phone",
        "topic": "paspoort",
        "orgUnit": "balie",
        "occurredAt": _occurred(),
    }
    response = rest.call("POST", "/contacts", rest.auth("agent-2", ["kcc"], AGENT), json=body)
    assert response.status_code == 400
    assert response.json()["invalidParams"] == [
        {"name": "taggedPseudonym", "reason": "must be a pseudonym of domain kcc"}
    ]
    both = {**body, "bsn": BSN}
    response = rest.call("POST", "/contacts", rest.auth("agent-2", ["kcc"], AGENT), json=both)
    assert response.status_code == 400 and BSN not in response.text


def test_a_token_without_role_issuer_gets_the_pseudonym_services_reason(rest: Rest) -> None:
    search = {"bsn": BSN, "requesterDomain": "kcc", "purpose": PURPOSE}
    headers = rest.auth("agent-3", ["kcc"], ["agent"])
    response = rest.call("POST", "/contact-histories/_search", headers, json=search)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "ROLE_MISSING"
    oversight = rest.auth("officer", ["audit", "consent"], ["privacy-officer", "issuer"])
    response = rest.call("POST", "/consents/_search", oversight, json={"bsn": BSN})
    assert response.status_code == 403 and response.json()["code"] == "NO_ACTING_DOMAIN"
