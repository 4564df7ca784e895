"""Conversions between the ConsentService messages and the domain objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.consent.catalogue import PurposeCatalogue
from stadskamer.consent.domain import (
    BasisKind,
    Capture,
    CaptureMethod,
    CheckOutcome,
    Consent,
    ConsentState,
    WithdrawalReason,
)

_CHANNEL_PREFIX = "CHANNEL_"
_METHODS: dict[pb.CaptureMethod.ValueType, CaptureMethod] = {
    pb.CAPTURE_METHOD_AGENT: CaptureMethod.AGENT,
    pb.CAPTURE_METHOD_SELF_SERVICE: CaptureMethod.SELF_SERVICE,
}
_REASONS: dict[pb.WithdrawalReason.ValueType, WithdrawalReason] = {
    pb.WITHDRAWAL_REASON_CITIZEN_REQUEST: WithdrawalReason.CITIZEN_REQUEST,
    pb.WITHDRAWAL_REASON_RECORDED_IN_ERROR: WithdrawalReason.RECORDED_IN_ERROR,
    pb.WITHDRAWAL_REASON_PURPOSE_ENDED: WithdrawalReason.PURPOSE_ENDED,
}
_METHOD_VALUES = {method: value for value, method in _METHODS.items()}
_REASON_VALUES = {reason: value for value, reason in _REASONS.items()}
_STATES = {
    ConsentState.ACTIVE: pb.CONSENT_STATE_ACTIVE,
    ConsentState.WITHDRAWN: pb.CONSENT_STATE_WITHDRAWN,
    ConsentState.EXPIRED: pb.CONSENT_STATE_EXPIRED,
}
_BASES = {
    BasisKind.OWN_DOMAIN: pb.BASIS_KIND_OWN_DOMAIN,
    BasisKind.CONSENT: pb.BASIS_KIND_CONSENT,
    BasisKind.LEGAL_BASIS: pb.BASIS_KIND_LEGAL_BASIS,
}


def known_channel(value: int) -> bool:
    """Whether ``value`` is a Channel other than unspecified."""
    return value != channel_pb2.CHANNEL_UNSPECIFIED and value in channel_pb2.Channel.values()


def capture_method(value: int) -> CaptureMethod | None:
    """The domain capture method of a proto value (None when unknown or unspecified)."""
    return _METHODS.get(pb.CaptureMethod.ValueType(value))


def withdrawal_reason(value: int) -> WithdrawalReason | None:
    """The domain withdrawal reason of a proto value (None when unknown or unspecified)."""
    return _REASONS.get(pb.WithdrawalReason.ValueType(value))


def capture_from_proto(capture: pb.Capture) -> Capture:
    """The domain capture (the validator has checked channel and method)."""
    name = channel_pb2.Channel.Name(capture.channel)
    method = capture_method(capture.method)
    assert method is not None
    return Capture(name.removeprefix(_CHANNEL_PREFIX).lower(), method, capture.agent_id)


def timestamp_to_datetime(value: Timestamp) -> datetime:
    """A protobuf Timestamp as an aware UTC datetime."""
    return value.ToDatetime(tzinfo=UTC)


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def purposes_to_proto(catalogue: PurposeCatalogue) -> pb.ListPurposesResponse:
    """The catalogue message."""
    purposes = []
    for purpose in catalogue.all():
        retention = Duration()
        retention.FromTimedelta(timedelta(days=purpose.retention_days))
        purposes.append(
            pb.Purpose(
                id=purpose.id,
                version=purpose.version,
                current=catalogue.is_current(purpose),
                title=purpose.title,
                consent_text=purpose.consent_text,
                consent_text_sha256=purpose.notice_hash,
                requires_consent=purpose.requires_consent,
                domains=sorted(purpose.domains),
                retention=retention,
                legal_basis=purpose.legal_basis,
                dpv_category=purpose.dpv_category,
            )
        )
    return pb.ListPurposesResponse(purposes=purposes, catalogue_version=catalogue.version)


def consent_to_proto(consent: Consent, now: datetime) -> pb.Consent:
    """The Consent resource, with its state at ``now`` and its history."""
    capture = consent.capture
    history = [
        pb.ConsentEvent(
            kind=pb.CONSENT_EVENT_KIND_GIVEN,
            time=_timestamp(consent.given_at),
            actor=consent.recorded_by,
        )
    ]
    message = pb.Consent(
        name=consent.name,
        purpose=consent.purpose,
        purpose_version=consent.purpose_version,
        notice_sha256=consent.notice_hash,
        capture=pb.Capture(
            channel=channel_pb2.Channel.Value(_CHANNEL_PREFIX + capture.channel.upper()),
            method=_METHOD_VALUES[capture.method],
            agent_id=capture.agent_id,
        ),
        give_time=_timestamp(consent.given_at),
        state=_STATES[consent.state(now)],
        receipt=consent.receipt,
        withdrawal_receipt=consent.withdrawal_receipt,
    )
    if consent.expires_at is not None:
        message.expire_time.CopyFrom(_timestamp(consent.expires_at))
    if consent.withdrawn_at is not None and consent.withdrawal_reason is not None:
        message.withdraw_time.CopyFrom(_timestamp(consent.withdrawn_at))
        message.withdrawal_reason = _REASON_VALUES[consent.withdrawal_reason]
        history.append(
            pb.ConsentEvent(
                kind=pb.CONSENT_EVENT_KIND_WITHDRAWN,
                time=_timestamp(consent.withdrawn_at),
                actor=consent.withdrawn_by,
            )
        )
    message.history.extend(history)
    return message


def basis_to_proto(outcome: CheckOutcome) -> pb.Basis:
    """The basis of a check outcome (kind unspecified when denied)."""
    return pb.Basis(
        kind=_BASES[outcome.basis_kind] if outcome.basis_kind else pb.BASIS_KIND_UNSPECIFIED,
        consent=outcome.consent_name,
        policy_rule=outcome.rule_id,
        legal_basis=outcome.legal_basis,
    )


def check_to_proto(outcome: CheckOutcome) -> pb.CheckConsentResponse:
    """The answer of CheckConsent."""
    denial = pb.DENIAL_REASON_UNSPECIFIED
    if outcome.denial is not None:
        denial = pb.DenialReason.Value(f"DENIAL_REASON_{outcome.denial.value}")
    return pb.CheckConsentResponse(
        allowed=outcome.allowed, basis=basis_to_proto(outcome), denial_reason=denial
    )
