"""The gRPC servicer of the consent service: converts proto ⇄ domain, holds no rule."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC

import grpc

from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.api.consent.v1 import consent_pb2_grpc as pb_grpc
from stadskamer.common.auth import current_principal
from stadskamer.common.errors import FieldViolation
from stadskamer.common.interceptors import Validator
from stadskamer.consent.access import AccessService, LinkQuery
from stadskamer.consent.catalogue import NAME
from stadskamer.consent.domain import AGENT_ID, CONSENT_NAME
from stadskamer.consent.messages import (
    basis_to_proto,
    capture_from_proto,
    capture_method,
    check_to_proto,
    consent_to_proto,
    known_channel,
    purposes_to_proto,
    timestamp_to_datetime,
    withdrawal_reason,
)
from stadskamer.consent.service import ConsentService, GrantCommand
from stadskamer.pep import tags

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ConsentService"].full_name
PUBLIC_METHODS = frozenset({f"/{SERVICE_NAME}/ListPurposes", f"/{SERVICE_NAME}/GetReceiptKey"})
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


def _subject(value: bytes) -> list[FieldViolation]:
    try:
        tags.parse(value)
    except tags.InvalidTagError:
        return [FieldViolation("subject", "must be a tagged pseudonym from the pseudonym service")]
    return []


def _name(field: str, value: str) -> list[FieldViolation]:
    return [] if NAME.match(value) else [FieldViolation(field, "required: a lower-case name")]


def _grant_violations(request: pb.GrantConsentRequest) -> Iterable[FieldViolation]:
    found = _subject(request.subject) + _name("purpose", request.purpose)
    if not REQUEST_ID.match(request.request_id):
        found.append(FieldViolation("request_id", "required: 1-64 of letters, digits, ._:-"))
    if request.purpose_version < 1:
        found.append(FieldViolation("purpose_version", "required: a positive version"))
    capture = request.capture
    if not known_channel(capture.channel):
        found.append(FieldViolation("capture.channel", "required: one of the Channel values"))
    if capture_method(capture.method) is None:
        found.append(FieldViolation("capture.method", "required: agent or self-service"))
    if capture.agent_id and not AGENT_ID.match(capture.agent_id):
        found.append(FieldViolation("capture.agent_id", "letters, digits and ._@- only"))
    if request.HasField("expire_time"):
        try:
            timestamp_to_datetime(request.expire_time)
        except (ValueError, OverflowError):
            found.append(FieldViolation("expire_time", "not a valid time"))
    if request.subject_domain:
        found += _name("subject_domain", request.subject_domain)
    return found


def _consent_name(
    request: pb.GetConsentRequest | pb.WithdrawConsentRequest,
) -> list[FieldViolation]:
    if CONSENT_NAME.match(request.name):
        return []
    return [FieldViolation("name", "must look like consents/{32 hex digits}")]


def _withdraw_violations(request: pb.WithdrawConsentRequest) -> Iterable[FieldViolation]:
    found = _consent_name(request)
    if withdrawal_reason(request.reason) is None:
        found.append(FieldViolation("reason", "required: one of the WithdrawalReason values"))
    return found


def _list_violations(request: pb.ListConsentsRequest) -> Iterable[FieldViolation]:
    found = _subject(request.subject)
    if request.page_size < 0:
        found.append(FieldViolation("page_size", "must not be negative"))
    return found


def _link_violations(
    request: pb.CheckConsentRequest | pb.IssueLinkGrantRequest,
) -> Iterable[FieldViolation]:
    found = (
        _subject(request.subject)
        + _name("purpose", request.purpose)
        + _name("requester_domain", request.requester_domain)
        + _name("target_domain", request.target_domain)
    )
    if request.subject_domain:
        found += _name("subject_domain", request.subject_domain)
    return found


VALIDATORS: dict[str, Validator] = {
    f"/{SERVICE_NAME}/GrantConsent": _grant_violations,
    f"/{SERVICE_NAME}/GetConsent": _consent_name,
    f"/{SERVICE_NAME}/WithdrawConsent": _withdraw_violations,
    f"/{SERVICE_NAME}/ListConsents": _list_violations,
    f"/{SERVICE_NAME}/CheckConsent": _link_violations,
    f"/{SERVICE_NAME}/IssueLinkGrant": _link_violations,
}


def _query(request: pb.CheckConsentRequest | pb.IssueLinkGrantRequest) -> LinkQuery:
    return LinkQuery(
        request.subject,
        request.purpose,
        request.requester_domain,
        request.target_domain,
        request.subject_domain,
    )


class ConsentServicer(pb_grpc.ConsentServiceServicer):
    """Maps the ConsentService RPCs onto :class:`ConsentService` and :class:`AccessService`."""

    def __init__(self, consents: ConsentService, access: AccessService) -> None:
        self._consents = consents
        self._access = access

    def ListPurposes(
        self, request: pb.ListPurposesRequest, context: grpc.ServicerContext
    ) -> pb.ListPurposesResponse:
        """The catalogue."""
        return purposes_to_proto(self._consents.catalogue)

    def GrantConsent(
        self, request: pb.GrantConsentRequest, context: grpc.ServicerContext
    ) -> pb.Consent:
        """Record a consent."""
        command = GrantCommand(
            request_id=request.request_id,
            subject=request.subject,
            purpose=request.purpose,
            purpose_version=request.purpose_version,
            capture=capture_from_proto(request.capture),
            expires_at=(
                timestamp_to_datetime(request.expire_time)
                if request.HasField("expire_time")
                else None
            ),
            subject_domain=request.subject_domain,
        )
        consent = self._consents.grant(current_principal(), command)
        return consent_to_proto(consent, self._consents.now())

    def GetConsent(
        self, request: pb.GetConsentRequest, context: grpc.ServicerContext
    ) -> pb.Consent:
        """One consent."""
        consent = self._consents.get(current_principal(), request.name)
        return consent_to_proto(consent, self._consents.now())

    def WithdrawConsent(
        self, request: pb.WithdrawConsentRequest, context: grpc.ServicerContext
    ) -> pb.Consent:
        """Withdraw a consent."""
        reason = withdrawal_reason(request.reason)
        assert reason is not None
        consent = self._consents.withdraw(current_principal(), request.name, reason)
        return consent_to_proto(consent, self._consents.now())

    def ListConsents(
        self, request: pb.ListConsentsRequest, context: grpc.ServicerContext
    ) -> pb.ListConsentsResponse:
        """A page of a citizen's consents."""
        consents, next_token = self._consents.list(
            current_principal(), request.subject, request.page_size, request.page_token
        )
        now = self._consents.now()
        return pb.ListConsentsResponse(
            consents=[consent_to_proto(c, now) for c in consents], next_page_token=next_token
        )

    def CheckConsent(
        self, request: pb.CheckConsentRequest, context: grpc.ServicerContext
    ) -> pb.CheckConsentResponse:
        """Is the link allowed?"""
        return check_to_proto(self._access.check(current_principal(), _query(request)))

    def IssueLinkGrant(
        self, request: pb.IssueLinkGrantRequest, context: grpc.ServicerContext
    ) -> pb.IssueLinkGrantResponse:
        """A link grant after a positive check."""
        issued = self._access.issue_link_grant(current_principal(), _query(request))
        response = pb.IssueLinkGrantResponse(
            link_grant=issued.token,
            grant_id=issued.grant.grant_id,
            basis=basis_to_proto(issued.outcome),
        )
        response.expire_time.FromDatetime(issued.grant.expires_at.astimezone(UTC))
        return response

    def GetReceiptKey(
        self, request: pb.GetReceiptKeyRequest, context: grpc.ServicerContext
    ) -> pb.GetReceiptKeyResponse:
        """The public key of receipts and link grants."""
        key = self._consents.receipt_key()
        return pb.GetReceiptKeyResponse(
            key_id=key.key_id,
            public_key=key.raw,
            public_key_pem=key.pem,
            jwks=json.dumps(key.jwks, sort_keys=True),
            algorithm="EdDSA",
        )
