"""The consent service over its gRPC contract, as the surveys port :class:`Consents`.

The surveys service calls it with its own service token (domain ``onderzoek``, role
``service``). Every subject it sends is a tagged pseudonym as the pseudonym service handed
it out: issued for the request, a fresh reference of onderzoek, or the pushed pseudonym of
the event's sender. The pseudonym service itself is reached through the one client,
:class:`stadskamer.client.PseudonymClient`.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.consent.v1 import consent_pb2 as cpb
from stadskamer.api.consent.v1 import consent_pb2_grpc as cpb_grpc
from stadskamer.common.errors import InvalidArgument, NotFound, PermissionDenied
from stadskamer.common.status import from_rpc_error
from stadskamer.surveys.ports import GrantedConsent, LinkDenied
from stadskamer.surveys.service import FOLLOWUP_PURPOSE, SURVEY_PURPOSE

PEER = "consent"
# The consent service's reasons for refusing a link: final answers, not failures.
DENIALS = frozenset(
    {
        "NEVER",
        "NO_RULE",
        "NO_CONSENT",
        "CONSENT_WITHDRAWN",
        "CONSENT_EXPIRED",
        "PURPOSE_DOES_NOT_COVER_DOMAIN",
        "TRIGGER_MISSING",
    }
)


class GrpcConsents:
    """Implements :class:`stadskamer.surveys.ports.Consents`."""

    def __init__(self, consent: grpc.Channel, requester_domain: str, timeout: float = 5.0) -> None:
        self._stub = cpb_grpc.ConsentServiceStub(consent)
        self._requester = requester_domain
        self._timeout = timeout

    def _call(self, method: Callable[..., object], request: object) -> object:
        try:
            return method(request, timeout=self._timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error, PEER) from None

    def check(self, subject: bytes, purpose: str, target: str) -> str | None:
        """CheckConsent for onderzoek as the requester: the consent's name when allowed."""
        request = cpb.CheckConsentRequest(
            subject=subject, purpose=purpose, requester_domain=self._requester, target_domain=target
        )
        answer = self._call(self._stub.CheckConsent, request)
        assert isinstance(answer, cpb.CheckConsentResponse)
        return answer.basis.consent if answer.allowed and answer.basis.consent else None

    def active(self, name: str) -> bool:
        """GetConsent: whether the consent is active now."""
        try:
            consent = self._call(self._stub.GetConsent, cpb.GetConsentRequest(name=name))
        except NotFound:
            return False
        assert isinstance(consent, cpb.Consent)
        return consent.state == cpb.CONSENT_STATE_ACTIVE

    def push_grant(self, subject: bytes, sender: str) -> str:
        """IssueLinkGrant for a pushed pseudonym of ``sender`` (satisfaction-survey)."""
        request = cpb.IssueLinkGrantRequest(
            subject=subject,
            purpose=SURVEY_PURPOSE,
            requester_domain=self._requester,
            target_domain=sender,
        )
        try:
            grant = self._call(self._stub.IssueLinkGrant, request)
        except PermissionDenied as refusal:
            if refusal.reason in DENIALS:
                raise LinkDenied(
                    "the consent service does not allow this link", refusal.reason
                ) from None
            raise
        assert isinstance(grant, cpb.IssueLinkGrantResponse)
        return grant.link_grant

    def grant_followup(
        self, request_id: str, subject: bytes, purpose_version: int
    ) -> GrantedConsent:
        """GrantConsent for ``survey-followup-call``, self-service on the web form."""
        request = cpb.GrantConsentRequest(
            request_id=request_id,
            subject=subject,
            purpose=FOLLOWUP_PURPOSE,
            purpose_version=purpose_version,
            capture=cpb.Capture(
                channel=channel_pb2.CHANNEL_WEB_FORM, method=cpb.CAPTURE_METHOD_SELF_SERVICE
            ),
        )
        try:
            consent = self._call(self._stub.GrantConsent, request)
        except InvalidArgument as refusal:
            if not any(v.field == "purpose_version" for v in refusal.violations):
                raise
            raise InvalidArgument.for_field(
                "consent_purpose_version",
                "not a version of the survey-followup-call consent text",
                refusal.reason,
            ) from None
        assert isinstance(consent, cpb.Consent)
        return GrantedConsent(consent.name, consent.receipt)
