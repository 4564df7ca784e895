"""``/purposes``, ``/consents`` and ``/consent-checks``: ConsentService over REST.

The citizen (``bsn``) is issued into the domain the agent acts for: a check's
``requesterDomain``; for giving and listing consents the body's ``domain``, or by default the
token's first domain that the purpose lists (giving) or that is not an oversight domain
(:func:`stadskamer.gateway.rest.citizens.acting_domain`).
"""

from __future__ import annotations

from typing import Any

from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.citizens import acting_domain
from stadskamer.gateway.rest.codec import timestamp
from stadskamer.gateway.rest.consent_schemas import (
    DENIALS,
    METHODS,
    REASONS,
    SECONDS_PER_DAY,
    basis_json,
    consent_json,
)
from stadskamer.gateway.rest.contacts import CHANNELS
from stadskamer.gateway.rest.operations import Call, Operation, Param, Reply

TAG = "consents"
GIVE_PURPOSE = "consent-registration"
LIST_PURPOSE = "consent-administration"


def list_purposes(call: Call) -> Reply:
    """ListPurposes (public)."""
    catalogue = call.rpc("consent", call.stubs.consent.ListPurposes, pb.ListPurposesRequest())
    purposes = [
        {
            "id": p.id,
            "version": p.version,
            "current": p.current,
            "title": p.title,
            "consentText": p.consent_text,
            "consentTextSha256": p.consent_text_sha256.hex(),
            "requiresConsent": p.requires_consent,
            "domains": list(p.domains),
            "retentionDays": p.retention.seconds // SECONDS_PER_DAY,
            "legalBasis": p.legal_basis,
            "dpvCategory": p.dpv_category,
        }
        for p in catalogue.purposes
    ]
    return Reply(200, {"purposes": purposes, "catalogueVersion": catalogue.catalogue_version})


def _purpose_domains(call: Call, purpose: str, version: int) -> list[str]:
    """The domains of one purpose version (empty when the catalogue has no such version)."""
    catalogue = call.rpc("consent", call.stubs.consent.ListPurposes, pb.ListPurposesRequest())
    for listed in catalogue.purposes:
        if listed.id == purpose and listed.version == version:
            return list(listed.domains)
    return []


def _giving_domain(call: Call) -> str:
    body = call.body
    return acting_domain(
        call.domains,
        body.get("domain"),
        lambda: _purpose_domains(call, body["purpose"], body["purposeVersion"]),
    )


def grant(call: Call) -> Reply:
    """GrantConsent."""
    body = call.body
    capture = body["capture"]
    request = pb.GrantConsentRequest(
        request_id=body["requestId"],
        purpose=body["purpose"],
        purpose_version=body["purposeVersion"],
        capture=pb.Capture(
            channel=CHANNELS.number(capture["channel"], "capture.channel"),  # type: ignore[arg-type]
            method=METHODS.number(capture["method"], "capture.method"),  # type: ignore[arg-type]
            agent_id=capture.get("agentId", ""),
        ),
    )
    if "expireTime" in body:
        request.expire_time.CopyFrom(timestamp(body["expireTime"], "expireTime"))
    request.subject = call.subject(_giving_domain(call), GIVE_PURPOSE, audience_field="domain")
    return Reply(201, consent_json(call.rpc("consent", call.stubs.consent.GrantConsent, request)))


def search(call: Call) -> Reply:
    """ListConsents of one citizen (the BSN is in the body)."""
    request = pb.ListConsentsRequest(
        page_size=call.body.get("pageSize", 0),
        page_token=call.body.get("pageToken", ""),
    )
    domain = acting_domain(call.domains, call.body.get("domain"))
    request.subject = call.subject(domain, LIST_PURPOSE, audience_field="domain")
    page = call.rpc("consent", call.stubs.consent.ListConsents, request)
    consents = [consent_json(c) for c in page.consents]
    return Reply(200, {"consents": consents, "nextPageToken": page.next_page_token})


def get_consent(call: Call) -> Reply:
    """GetConsent."""
    request = pb.GetConsentRequest(name=f"consents/{call.path['consentId']}")
    return Reply(200, consent_json(call.rpc("consent", call.stubs.consent.GetConsent, request)))


def withdraw(call: Call) -> Reply:
    """WithdrawConsent, with immediate effect."""
    request = pb.WithdrawConsentRequest(
        name=f"consents/{call.path['consentId']}",
        reason=REASONS.number(call.body["reason"], "reason"),  # type: ignore[arg-type]
    )
    return Reply(
        200, consent_json(call.rpc("consent", call.stubs.consent.WithdrawConsent, request))
    )


def check(call: Call) -> Reply:
    """CheckConsent."""
    body = call.body
    request = pb.CheckConsentRequest(
        purpose=body["purpose"],
        requester_domain=body["requesterDomain"],
        target_domain=body["targetDomain"],
    )
    request.subject = call.subject(
        body["requesterDomain"], body["purpose"], audience_field="requesterDomain"
    )
    answer = call.rpc("consent", call.stubs.consent.CheckConsent, request)
    result: dict[str, Any] = {"allowed": answer.allowed, "basis": basis_json(answer.basis)}
    DENIALS.put(result, "denialReason", answer.denial_reason)
    return Reply(200, result)


CONSENT_ID = Param(
    "consentId", s.text("A consent id.", pattern=s.ID_PATTERN), "The consent's id.", where="path"
)

OPERATIONS = [
    Operation(
        "GET",
        "/purposes",
        "listPurposes",
        TAG,
        "The purpose catalogue",
        "ListPurposes: every version of every purpose, with the consent text. Public.",
        list_purposes,
        "PurposeList",
        public=True,
        errors=(),
    ),
    Operation(
        "POST",
        "/consents",
        "grantConsent",
        TAG,
        "Record a consent",
        "GrantConsent: records the consent the citizen gives and returns its signed receipt.",
        grant,
        "Consent",
        201,
        body="NewConsent",
    ),
    Operation(
        "POST",
        "/consents/_search",
        "searchConsents",
        TAG,
        "A citizen's consents",
        "ListConsents of the citizen named in the body, oldest first, with receipts and "
        "history: only consents whose purpose lists one of the caller's domains (a privacy "
        "officer sees all).",
        search,
        "ConsentList",
        body="ConsentSearch",
    ),
    Operation(
        "GET",
        "/consents/{consentId}",
        "getConsent",
        TAG,
        "Get a consent",
        "GetConsent.",
        get_consent,
        "Consent",
        params=(CONSENT_ID,),
    ),
    Operation(
        "POST",
        "/consents/{consentId}/withdrawal",
        "withdrawConsent",
        TAG,
        "Withdraw a consent",
        "WithdrawConsent with immediate effect; the record and its history are kept.",
        withdraw,
        "Consent",
        params=(CONSENT_ID,),
        body="ConsentWithdrawal",
    ),
    Operation(
        "POST",
        "/consent-checks",
        "checkConsent",
        TAG,
        "Check a link",
        "CheckConsent: may the requester domain receive the target's data for the purpose?",
        check,
        "ConsentCheckResult",
        body="ConsentCheck",
    ),
]
