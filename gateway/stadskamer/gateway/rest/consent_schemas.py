"""The JSON schemas of the purpose and consent routes, and the consent's JSON form."""

from __future__ import annotations

from typing import Any

from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import EnumCodec, iso, put_time, resource_id
from stadskamer.gateway.rest.contact_schemas import CHANNEL, CHANNELS

STATES = EnumCodec(pb.ConsentState, "CONSENT_STATE_")
METHODS = EnumCodec(pb.CaptureMethod, "CAPTURE_METHOD_")
REASONS = EnumCodec(pb.WithdrawalReason, "WITHDRAWAL_REASON_")
EVENTS = EnumCodec(pb.ConsentEventKind, "CONSENT_EVENT_KIND_")
BASIS_KINDS = EnumCodec(pb.BasisKind, "BASIS_KIND_")
DENIALS = EnumCodec(pb.DenialReason, "DENIAL_REASON_")
SECONDS_PER_DAY = 86400

SCHEMAS: dict[str, s.Schema] = {
    "Purpose": s.obj(
        "One version of a purpose of the catalogue.",
        {
            "id": s.text("The purpose id, e.g. `integrated-contact-history`."),
            "version": s.integer("The version."),
            "current": s.flag("Whether consents are given on this version."),
            "title": s.text("A short Dutch title."),
            "consentText": s.text(
                "The exact Dutch text to show or read out; empty without consent."
            ),
            "consentTextSha256": s.hexadecimal("SHA-256 of the consent text.", 32),
            "requiresConsent": s.flag("Whether it rests on consent (else on a legal basis)."),
            "domains": s.array("The domains whose data it may join.", s.code("A domain.")),
            "retentionDays": s.integer(
                "How long joined data may be kept, in days (0: shown only)."
            ),
            "legalBasis": s.text("The legal basis."),
            "dpvCategory": s.text("The W3C Data Privacy Vocabulary category."),
        },
        ("id", "version", "current", "title", "consentText", "requiresConsent", "domains"),
    ),
    "PurposeList": s.obj(
        "The purpose catalogue.",
        {
            "purposes": s.array("Every version of every purpose.", s.ref("Purpose")),
            "catalogueVersion": s.text("The version of the catalogue."),
        },
        ("purposes", "catalogueVersion"),
    ),
    "Capture": s.obj(
        "How a consent was captured.",
        {
            "channel": CHANNEL,
            "method": s.choice("Who recorded it.", METHODS),
            "agentId": s.text("The agent (default: the token's subject).", maxLength=128),
        },
        ("channel", "method"),
    ),
    "ConsentEvent": s.obj(
        "One step in a consent's history.",
        {
            "kind": s.choice("What happened.", EVENTS),
            "time": s.moment("When."),
            "actor": s.text("Who recorded it."),
        },
        ("kind", "time", "actor"),
    ),
    "Consent": s.obj(
        "One citizen's consent for one purpose version, with its signed receipts.",
        {
            "id": s.text("The consent's id."),
            "purpose": s.text("The purpose id."),
            "purposeVersion": s.integer("The purpose version consented to."),
            "noticeSha256": s.hexadecimal("SHA-256 of the consent text shown.", 32),
            "capture": s.ref("Capture"),
            "giveTime": s.moment("When it was given."),
            "expireTime": s.moment("When it expires, if ever."),
            "withdrawTime": s.moment("When it was withdrawn."),
            "withdrawalReason": s.choice("Why it was withdrawn.", REASONS),
            "state": s.choice("The state now.", STATES),
            "receipt": s.text("The signed receipt (compact JWS) of the consent."),
            "withdrawalReceipt": s.text("The signed receipt of the withdrawal."),
            "history": s.array("Given, then possibly withdrawn.", s.ref("ConsentEvent")),
        },
        ("id", "purpose", "purposeVersion", "state", "receipt", "history"),
    ),
    "NewConsent": s.obj(
        "A consent the citizen gives (e.g. on the phone, after hearing the purpose's text).",
        {
            "requestId": s.text("Idempotency key (1-64 of letters, digits, `._:-`).", maxLength=64),
            **s.CITIZEN_PROPERTIES,
            "domain": s.code(
                "The domain the agent acts for (must be in the token): the citizen is issued "
                "into it. Default: the token's first domain that the purpose lists, else its "
                "first domain that is not an oversight domain (`audit`, `consent`)."
            ),
            "purpose": s.text("The purpose id.", maxLength=64),
            "purposeVersion": s.integer("The current version whose text was shown.", 1),
            "capture": s.ref("Capture"),
            "expireTime": s.moment("Optional expiry, in the future."),
        },
        ("requestId", "purpose", "purposeVersion", "capture"),
    ),
    "ConsentSearch": s.obj(
        "Whose consents to list.",
        {
            **s.CITIZEN_PROPERTIES,
            "domain": s.code(
                "The domain the agent acts for (must be in the token): the citizen is issued "
                "into it. Default: the token's first domain that is not an oversight domain "
                "(`audit`, `consent`)."
            ),
            "pageSize": s.integer("At most this many (default 50).", 1, 200),
            "pageToken": s.text("`nextPageToken` of the page before.", maxLength=2048),
        },
    ),
    "ConsentList": s.obj(
        "A page of a citizen's consents, oldest first.",
        {"consents": s.array("The consents.", s.ref("Consent")), "nextPageToken": s.page_token()},
        ("consents", "nextPageToken"),
    ),
    "ConsentWithdrawal": s.obj(
        "Why a consent is withdrawn.",
        {"reason": s.choice("The reason.", REASONS)},
        ("reason",),
    ),
    "Basis": s.obj(
        "What allowed (or would allow) a link between domains.",
        {
            "kind": s.choice("The kind of basis.", BASIS_KINDS),
            "consent": s.text("The consent id, for a consent."),
            "policyRule": s.text("The policy rule that decided."),
            "legalBasis": s.text("The legal basis."),
        },
    ),
    "ConsentCheck": s.obj(
        "May the requester domain receive the target domain's data on this citizen?",
        {
            **s.CITIZEN_PROPERTIES,
            "purpose": s.text("The purpose id.", maxLength=64),
            "requesterDomain": s.code(
                "The domain that would receive (must be in the token); the citizen is issued "
                "into it."
            ),
            "targetDomain": s.code("The domain whose data would be joined."),
        },
        ("purpose", "requesterDomain", "targetDomain"),
    ),
    "ConsentCheckResult": s.obj(
        "The answer of a check.",
        {
            "allowed": s.flag("Whether the link is allowed."),
            "basis": s.ref("Basis"),
            "denialReason": s.choice("Why not.", DENIALS),
        },
        ("allowed",),
    ),
}


def basis_json(basis: pb.Basis) -> dict[str, Any]:
    """A basis as JSON (empty fields left out)."""
    result: dict[str, Any] = {}
    BASIS_KINDS.put(result, "kind", basis.kind)
    for key, value in (
        ("consent", resource_id(basis.consent) if basis.consent else ""),
        ("policyRule", basis.policy_rule),
        ("legalBasis", basis.legal_basis),
    ):
        if value:
            result[key] = value
    return result


def consent_json(consent: pb.Consent) -> dict[str, Any]:
    """A consent as JSON."""
    capture: dict[str, Any] = {"agentId": consent.capture.agent_id}
    CHANNELS.put(capture, "channel", consent.capture.channel)
    METHODS.put(capture, "method", consent.capture.method)
    result: dict[str, Any] = {
        "id": resource_id(consent.name),
        "purpose": consent.purpose,
        "purposeVersion": consent.purpose_version,
        "noticeSha256": consent.notice_sha256.hex(),
        "capture": capture,
        "receipt": consent.receipt,
        "history": [
            {"kind": EVENTS.name(e.kind), "time": iso(e.time), "actor": e.actor}
            for e in consent.history
            if EVENTS.name(e.kind)
        ],
    }
    STATES.put(result, "state", consent.state)
    REASONS.put(result, "withdrawalReason", consent.withdrawal_reason)
    for key, name in (
        ("giveTime", "give_time"),
        ("expireTime", "expire_time"),
        ("withdrawTime", "withdraw_time"),
    ):
        put_time(result, key, consent, name)
    if consent.withdrawal_receipt:
        result["withdrawalReceipt"] = consent.withdrawal_receipt
    return result
