"""``/purposes``, ``/consents`` and ``/consent-checks``: ConsentService over REST."""

from __future__ import annotations

from typing import Any

from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.gateway.rest import schema as s
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


def grant(call: Call) -> Reply:
    """GrantConsent."""
    body = call.body
    capture = body["capture"]
    request = pb.GrantConsentRequest(
        request_id=body["requestId"],
        subject=call.subject(),
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
    return Reply(201, consent_json(call.rpc("consent", call.stubs.consent.GrantConsent, request)))


def search(call: Call) -> Reply:
    """ListConsents of one citizen (the BSN is in the body)."""
    request = pb.ListConsentsRequest(
        subject=call.subject(),
        page_size=call.body.get("pageSize", 0),
        page_token=call.body.get("pageToken", ""),
    )
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
        subject=call.subject(),
        purpose=body["purpose"],
        requester_domain=body["requesterDomain"],
        target_domain=body["targetDomain"],
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
