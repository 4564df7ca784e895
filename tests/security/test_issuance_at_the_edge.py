"""Attack: an agent at the REST edge turns BSNs into pseudonyms it should not have.

Issue 14's BSN dictionary: pseudonyms of consecutive BSNs, made without limit or record. The
attacker is an agent with a valid token of its own, calling the public REST API (and, to
hurry a burst, the pseudonym service's public gRPC contract with that same token). The
gateway makes no pseudonym: it has every BSN issued by the pseudonym service with the
caller's token, so

- without role ``issuer`` nothing is issued (403, the pseudonym service's reason) and no
  service records or stores anything;
- a burgerzaken agent cannot have a citizen issued into sociale-zaken through any route;
- beyond the hourly issuance limit the next lookup is 429 with Retry-After.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stadskamer.client import PseudonymClient
from stadskamer.common.errors import PermissionDenied, ResourceExhausted
from stadskamer.gateway.rest.bootstrap import openapi_document
from stadskamer.pseudonyms.issuance import IssuanceLimits
from tests.e2e.gateway.support import Rest, running_rest
from tests.support.audit import audit_records
from tests.support.databases import files_containing

BSN = "111222333"


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rest]:
    """One stack and its REST gateway."""
    with running_rest(tmp_path_factory.mktemp("edge") / "var") as running:
        yield running


def valid_bsns(count: int, start: int = 100_000_000) -> list[str]:
    """``count`` consecutive numbers passing the 11-check: the attacker's dictionary."""
    found: list[str] = []
    number = start
    while len(found) < count:
        digits = [int(d) for d in f"{number:09d}"]
        weighted = sum(w * d for w, d in zip(range(9, 1, -1), digits[:8], strict=True))
        if (weighted - digits[8]) % 11 == 0:
            found.append(f"{number:09d}")
        number += 1
    return found


def bodies(domain: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every route that takes a BSN (by operation id), with a body naming ``domain`` wherever
    the body chooses the domain the citizen is issued into."""
    return {
        "registerContact": (
            "/contacts",
            {
                "requestId": f"edge-{domain}",
                "domain": domain,
                "bsn": BSN,
                "channel": "phone",
                "topic": "paspoort",
                "orgUnit": "balie",
                "occurredAt": datetime.now(UTC).isoformat(),
            },
        ),
        "fileComplaint": (
            "/complaints",
            {
                "requestId": f"edge-{domain}",
                "bsn": BSN,
                "channel": "phone",
                "orgUnit": domain,
                "description": "Geen antwoord gekregen.",
            },
        ),
        "grantConsent": (
            "/consents",
            {
                "requestId": f"edge-{domain}",
                "domain": domain,
                "bsn": BSN,
                "purpose": "integrated-contact-history",
                "purposeVersion": 1,
                "capture": {"channel": "phone", "method": "agent"},
            },
        ),
        "searchConsents": ("/consents/_search", {"bsn": BSN, "domain": domain}),
        "checkConsent": (
            "/consent-checks",
            {
                "bsn": BSN,
                "purpose": "integrated-contact-history",
                "requesterDomain": domain,
                "targetDomain": "kcc",
            },
        ),
        "searchContactHistory": (
            "/contact-histories/_search",
            {"bsn": BSN, "requesterDomain": domain, "purpose": "integrated-contact-history"},
        ),
        "searchProcessingRecords": ("/processing-records/_search", {"bsn": BSN}),
    }


def routes_with_a_bsn() -> set[str]:
    """The operation ids of the published API whose request body has a ``bsn``."""
    document = openapi_document()
    schemas = document["components"]["schemas"]
    found: set[str] = set()
    for path in document["paths"].values():
        for operation in path.values():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            if "bsn" in schemas.get(ref.rpartition("/")[2], {}).get("properties", {}):
                found.add(operation["operationId"])
    return found


def _by(data_dir: Path, actor: str) -> list[dict[str, Any]]:
    return [r for r in audit_records(data_dir) if r.get("actor") == actor]


def _issued_into(data_dir: Path, domain: str) -> list[dict[str, Any]]:
    return [
        r
        for r in audit_records(data_dir, "pseudonyms.issue")
        if domain in str(r.get("target_domain", "")).split(",")
    ]


def test_an_agent_without_role_issuer_has_nothing_issued_and_nothing_recorded(
    rest: Rest,
) -> None:
    actor = "agent-without-issuer"
    headers = rest.auth(actor, ["kcc", "klachten"], ["agent"])
    for operation, (path, body) in bodies("kcc").items():
        response = rest.call("POST", path, headers, json=body)
        assert response.status_code == 403, (operation, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "ROLE_MISSING", operation
        assert BSN not in response.text
    assert _by(rest.stack.data_dir, actor) == []
    assert files_containing(rest.stack.data_dir, [BSN]) == []


def test_a_burgerzaken_agent_cannot_have_a_citizen_issued_into_sociale_zaken(
    rest: Rest,
) -> None:
    actor = "burgerzaken-agent"
    token = rest.token(actor, ["burgerzaken"], ["agent", "issuer"])
    headers = {"Authorization": f"Bearer {token}"}
    assert set(bodies("sociale-zaken")) == routes_with_a_bsn()
    for operation, (path, body) in bodies("sociale-zaken").items():
        response = rest.call("POST", path, headers, json=body)
        assert response.status_code == 403, (operation, response.text)
        assert response.json()["code"] in ("DOMAIN_NOT_IN_TOKEN", "OVERSIGHT_AUDIENCE")
        assert BSN not in response.text
    issued = PseudonymClient(rest.stack.channel, token).issue_one(
        BSN, "burgerzaken", "contact-registration"
    )
    smuggled = {**bodies("sociale-zaken")["registerContact"][1], "requestId": "edge-smuggled"}
    del smuggled["bsn"]
    smuggled["taggedPseudonym"] = base64.b64encode(issued).decode()
    response = rest.call("POST", "/contacts", headers, json=smuggled)
    assert response.status_code in (400, 403), response.text
    with pytest.raises(PermissionDenied) as refused:
        PseudonymClient(rest.stack.channel, token).issue_one(
            BSN, "sociale-zaken", "contact-registration"
        )
    assert refused.value.reason == "DOMAIN_NOT_IN_TOKEN"
    assert _issued_into(rest.stack.data_dir, "sociale-zaken") == []


def _hour_is_young_enough(seconds: int = 60) -> None:
    """The limit counts per clock hour: do not start a burst in an hour's last minute."""
    now = datetime.now(UTC)
    left = 3600 - (now.minute * 60 + now.second)
    if left < seconds:
        time.sleep(left + 1)


def test_a_burst_of_lookups_beyond_the_issuance_limit_gets_429(rest: Rest) -> None:
    limit = IssuanceLimits().per_hour
    actor = "agent-burst"
    token = rest.token(actor, ["kcc"], ["agent", "issuer"])
    headers = {"Authorization": f"Bearer {token}"}
    dictionary = valid_bsns(limit + 1)
    _hour_is_young_enough()
    answers = PseudonymClient(rest.stack.channel, token, timeout=30).issue(
        dictionary[: limit - 1], ["kcc"], "integrated-contact-history"
    )
    assert all(answer is not None for answer in answers)

    def look_up(bsn: str) -> Any:
        body = {"bsn": bsn, "requesterDomain": "kcc", "purpose": "integrated-contact-history"}
        return rest.call("POST", "/contact-histories/_search", headers, json=body)

    last_allowed = look_up(dictionary[limit - 1])
    assert last_allowed.status_code != 429, last_allowed.text
    issued_before = len(_issued_into(rest.stack.data_dir, "kcc"))
    refused = look_up(dictionary[limit])
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "ISSUANCE_LIMIT"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert dictionary[limit] not in refused.text
    assert len(_issued_into(rest.stack.data_dir, "kcc")) == issued_before
    with pytest.raises(ResourceExhausted):
        PseudonymClient(rest.stack.channel, token).issue_one(
            dictionary[limit], "kcc", "integrated-contact-history"
        )
