"""The edge has every BSN issued into exactly the audience its route needs, as the caller.

No I/O: the routes' handlers run against fake stubs, and a fake issuer records what it was
asked; the pseudonym service's refusals are mapped as the client library raises them.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer import pep
from stadskamer.api.complaints.v1 import complaints_pb2
from stadskamer.api.consent.v1 import consent_pb2
from stadskamer.api.contacts.v1 import contacts_pb2
from stadskamer.api.history.v1 import history_pb2
from stadskamer.common.errors import (
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)
from stadskamer.gateway.rest import complaints, consents, contacts, history
from stadskamer.gateway.rest.app import _domains_in_order
from stadskamer.gateway.rest.citizens import acting_domain, seconds_to_next_hour
from stadskamer.gateway.rest.codec import BadInput
from stadskamer.gateway.rest.operations import Call, Reply
from stadskamer.gateway.rest.problems import Problem, from_domain_error
from stadskamer.pep import group, tags
from stadskamer.pep.tags import Kind

BSN = "111222333"
NOW = datetime.now(UTC)


@dataclass
class Issuer:
    """Records each issuance and answers a marker naming the audience."""

    asked: list[tuple[str, str, str, str]] = field(default_factory=list)

    def issue(
        self,
        bsn: str,
        audience: str,
        purpose: str,
        token: str,
        timeout: float,
        audience_field: str = "audiences",
    ) -> list[bytes]:
        self.asked.append((bsn, audience, purpose, audience_field))
        return [f"issued:{audience}".encode()]


class Service:
    """A fake stub: every method records its request and answers an empty response."""

    def __init__(self, **responses: Any) -> None:
        self.responses = responses
        self.requests: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        def method(request: Any, metadata: Any, timeout: float) -> Any:
            self.requests.append(request)
            return self.responses[name]

        return method


PURPOSES = consent_pb2.ListPurposesResponse(
    purposes=[consent_pb2.Purpose(id="survey", version=2, domains=["onderzoek", "klachten"])]
)


@dataclass
class Stubs:
    contacts: Service = field(
        default_factory=lambda: Service(RegisterContact=contacts_pb2.RegisterContactResponse())
    )
    complaints: Service = field(
        default_factory=lambda: Service(FileComplaint=complaints_pb2.FileComplaintResponse())
    )
    consent: Service = field(
        default_factory=lambda: Service(
            ListPurposes=PURPOSES,
            GrantConsent=consent_pb2.Consent(),
            ListConsents=consent_pb2.ListConsentsResponse(),
            CheckConsent=consent_pb2.CheckConsentResponse(),
        )
    )
    history: Service = field(
        default_factory=lambda: Service(GetHistory=history_pb2.GetHistoryResponse())
    )


def _call(body: dict[str, Any], domains: tuple[str, ...], issuer: Issuer, stubs: Stubs) -> Call:
    return Call({}, {}, body, "token", time.monotonic() + 5, stubs, issuer, {}, domains)


CONTACT = {
    "requestId": "r",
    "domain": "burgerzaken",
    "channel": "phone",
    "topic": "paspoort",
    "orgUnit": "balie",
    "occurredAt": NOW.isoformat(),
}
COMPLAINT = {"requestId": "r", "channel": "phone", "orgUnit": "balie", "description": "d"}
CAPTURE = {"channel": "phone", "method": "agent"}
CONSENT = {"requestId": "r", "purpose": "survey", "purposeVersion": 2, "capture": CAPTURE}
CHECK = {"purpose": "p", "requesterDomain": "onderzoek", "targetDomain": "kcc"}
HISTORY = {"requesterDomain": "kcc", "purpose": "integrated-contact-history"}


@pytest.mark.parametrize(
    ("handler", "body", "domains", "audience", "purpose", "chosen_by", "service"),
    [
        (
            contacts.register,
            CONTACT,
            ("kcc",),
            "burgerzaken",
            "contact-registration",
            "domain",
            "contacts",
        ),
        (
            complaints.file_complaint,
            COMPLAINT,
            ("kcc",),
            "klachten",
            "complaint-handling",
            "audiences",
            "complaints",
        ),
        (
            history.search,
            HISTORY,
            ("onderzoek",),
            "kcc",
            "integrated-contact-history",
            "requesterDomain",
            "history",
        ),
        (consents.check, CHECK, ("kcc",), "onderzoek", "p", "requesterDomain", "consent"),
        (
            consents.search,
            {},
            ("audit", "belastingen", "kcc"),
            "belastingen",
            "consent-administration",
            "domain",
            "consent",
        ),
        (
            consents.search,
            {"domain": "kcc"},
            ("belastingen",),
            "kcc",
            "consent-administration",
            "domain",
            "consent",
        ),
        (
            consents.grant,
            CONSENT,
            ("kcc", "klachten"),
            "klachten",
            "consent-registration",
            "domain",
            "consent",
        ),
        (
            consents.grant,
            CONSENT,
            ("consent", "kcc"),
            "kcc",
            "consent-registration",
            "domain",
            "consent",
        ),
        (
            consents.grant,
            {**CONSENT, "domain": "kcc"},
            ("klachten",),
            "kcc",
            "consent-registration",
            "domain",
            "consent",
        ),
    ],
)
def test_each_route_issues_into_its_audience_and_sends_exactly_what_was_issued(
    handler: Any,
    body: dict[str, Any],
    domains: tuple[str, ...],
    audience: str,
    purpose: str,
    chosen_by: str,
    service: str,
) -> None:
    issuer, stubs = Issuer(), Stubs()
    reply = handler(_call({**body, "bsn": BSN}, domains, issuer, stubs))
    assert isinstance(reply, Reply)
    assert issuer.asked == [(BSN, audience, purpose, chosen_by)]
    [sent] = [r for r in getattr(stubs, service).requests if hasattr(r, "subject")]
    assert sent.subject == f"issued:{audience}".encode()


def test_the_purpose_catalogue_is_asked_only_when_the_token_names_several_domains() -> None:
    issuer, stubs = Issuer(), Stubs()
    consents.grant(_call({**CONSENT, "bsn": BSN}, ("audit", "kcc"), issuer, stubs))
    assert [type(r).__name__ for r in stubs.consent.requests] == ["GrantConsentRequest"]


def test_a_contact_without_a_citizen_issues_nothing() -> None:
    issuer, stubs = Issuer(), Stubs()
    contacts.register(_call(CONTACT, ("burgerzaken",), issuer, stubs))
    assert issuer.asked == [] and stubs.contacts.requests[0].subject == b""


def test_acting_domain_prefers_the_request_then_the_tokens_order_without_oversight() -> None:
    asked: list[str] = []

    def preferred() -> list[str]:
        asked.append("catalogue")
        return ["klachten"]

    assert acting_domain(("kcc",), "burgerzaken", preferred) == "burgerzaken"
    assert acting_domain(("consent", "audit", "kcc"), None, preferred) == "kcc"
    assert asked == []
    assert acting_domain(("kcc", "klachten"), None, preferred) == "klachten"
    assert acting_domain(("kcc", "onderzoek"), None, preferred) == "kcc"
    with pytest.raises(Problem) as refused:
        acting_domain(("audit", "consent"), None)
    assert refused.value.status == 403 and refused.value.code == "NO_ACTING_DOMAIN"


def _tagged(audience: str) -> bytes:
    public = group.base_mul(group.random_scalar())
    ciphertext = pep.encrypt(pep.identity_point(BSN), public).to_bytes()
    key = Ed25519PrivateKey.generate()
    later = NOW + timedelta(minutes=5)
    signed = tags.sign(
        key, Kind.ENCRYPTED, ciphertext, audience=audience, not_after=later, key_version="v1"
    )
    return signed.to_bytes()


def test_a_tagged_pseudonym_is_passed_on_only_for_the_routes_audience() -> None:
    issuer = Issuer()
    mine = _tagged("kcc")
    call = _call({"taggedPseudonym": base64.b64encode(mine).decode()}, ("kcc",), issuer, Stubs())
    assert call.subject("kcc", "contact-registration") == mine
    with pytest.raises(BadInput) as wrong:
        call.subject("burgerzaken", "contact-registration")
    assert wrong.value.violations == [
        FieldViolation("taggedPseudonym", "must be a pseudonym of domain burgerzaken")
    ]
    raw = base64.b64encode(group.base_mul(group.random_scalar()) * 3).decode()
    with pytest.raises(BadInput):
        _call({"taggedPseudonym": raw}, ("kcc",), issuer, Stubs()).subject("kcc", "x")
    both = _call({"bsn": BSN, "taggedPseudonym": "AAAA"}, ("kcc",), issuer, Stubs())
    with pytest.raises(BadInput):
        both.subject("kcc", "x")
    assert issuer.asked == []
    with pytest.raises(BadInput):
        _call({}, ("kcc",), issuer, Stubs()).subject("kcc", "x")
    assert _call({}, ("kcc",), issuer, Stubs()).subject("kcc", "x", required=False) == b""


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            PermissionDenied("pseudonyms: this needs one of the roles issuer", "ROLE_MISSING"),
            403,
            "ROLE_MISSING",
        ),
        (
            PermissionDenied("pseudonyms: not kcc", "DOMAIN_NOT_IN_TOKEN"),
            403,
            "DOMAIN_NOT_IN_TOKEN",
        ),
        (
            ResourceExhausted("pseudonyms: the issuance limit", "ISSUANCE_LIMIT"),
            429,
            "ISSUANCE_LIMIT",
        ),
        (
            Unavailable("pseudonyms: down", "DEPENDENCY_UNAVAILABLE", retry_after_seconds=2.5),
            503,
            "DEPENDENCY_UNAVAILABLE",
        ),
    ],
)
def test_the_pseudonym_services_refusals_keep_their_reason(
    error: Exception, status: int, code: str
) -> None:
    problem = from_domain_error(error, "pseudonyms", {})  # type: ignore[arg-type]
    assert (problem.status, problem.code) == (status, code)
    if status in (429, 503):
        assert problem.retry_after is not None and problem.retry_after >= 1


def test_issuance_field_errors_are_named_as_the_request_names_them() -> None:
    error = InvalidArgument(
        "pseudonyms: invalid", "INVALID_FIELD", violations=[FieldViolation("audiences", "x")]
    )
    problem = from_domain_error(error, "pseudonyms", {"audiences": "requesterDomain"})
    assert problem.status == 400
    assert problem.body("/x")["invalidParams"] == [{"name": "requesterDomain", "reason": "x"}]


def test_the_issuance_limit_reopens_at_the_next_full_hour() -> None:
    assert seconds_to_next_hour(datetime(2026, 1, 1, 10, 59, 30, tzinfo=UTC)) == 30
    assert seconds_to_next_hour(datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)) == 3600


def test_the_tokens_domains_keep_their_order() -> None:
    token = jwt.encode({"domains": ["onderzoek", "kcc", "audit"]}, "k" * 32, algorithm="HS256")
    assert _domains_in_order(token, frozenset({"kcc", "onderzoek"})) == ("onderzoek", "kcc")
