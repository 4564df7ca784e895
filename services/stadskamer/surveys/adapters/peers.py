"""The pseudonym and consent services over their gRPC contracts, as the surveys ports.

The surveys service calls both with its own service token (domain ``onderzoek``, role
``service``) and decrypts converted pseudonyms with the onderzoek domain key: the 32-byte
onderzoek pseudonym is the only subject value it stores.
"""

from __future__ import annotations

import grpc

from stadskamer import pep
from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.consent.v1 import consent_pb2 as cpb
from stadskamer.api.consent.v1 import consent_pb2_grpc as cpb_grpc
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as ppb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as ppb_grpc
from stadskamer.client import DomainKey, decrypt_pseudonym, neutral_refusal
from stadskamer.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from stadskamer.common.status import from_rpc_error
from stadskamer.surveys.ports import GrantedConsent, LinkDenied
from stadskamer.surveys.service import FOLLOWUP_PURPOSE, SURVEY_PURPOSE

# The consent service's reasons for refusing a link: final answers, not failures.
DENIALS = frozenset(
    {
        "NEVER",
        "NO_RULE",
        "NO_CONSENT",
        "CONSENT_WITHDRAWN",
        "CONSENT_EXPIRED",
        "PURPOSE_DOES_NOT_COVER_DOMAIN",
    }
)


def encrypt_pseudonym(pseudonym: bytes, key: DomainKey) -> bytes:
    """Stand-in for the client helper that issue 14 removed, until the surveys service
    moves to tagged pseudonyms: ``Enc_Y_d(P_d)`` of the domain's own pseudonym."""
    return pep.encrypt(pseudonym, key.public_key).to_bytes()


class GrpcSubjects:
    """Implements :class:`stadskamer.surveys.ports.Subjects`."""

    def __init__(
        self, pseudonyms: grpc.Channel, consent: grpc.Channel, key: DomainKey, timeout: float = 5.0
    ) -> None:
        self._pseudonyms = ppb_grpc.PseudonymServiceStub(pseudonyms)
        self._consent = cpb_grpc.ConsentServiceStub(consent)
        self._key = key
        self._timeout = timeout

    def own(self, polymorphic: bytes) -> bytes:
        """Transcrypt a polymorphic pseudonym into onderzoek and decrypt it."""
        request = ppb.TranscryptRequest(
            polymorphic_pseudonym=polymorphic, target_domain=self._key.domain
        )
        try:
            return self._transcrypt(request, "subject")
        except InvalidArgument as refusal:
            if any(v.field == "polymorphic_pseudonym" for v in refusal.violations):
                raise InvalidArgument.for_field(
                    "subject", "not a polymorphic pseudonym of this deployment", refusal.reason
                ) from None
            raise

    def pushed(self, encrypted: bytes, source_domain: str) -> bytes:
        """Ask the consent service for a link grant, then have the pseudonym converted."""
        request = cpb.IssueLinkGrantRequest(
            subject=encrypted,
            subject_domain=source_domain,
            purpose=SURVEY_PURPOSE,
            requester_domain=self._key.domain,
            target_domain=source_domain,
        )
        try:
            grant = self._consent.IssueLinkGrant(request, timeout=self._timeout)
        except grpc.RpcError as error:
            refusal = from_rpc_error(error, "consent")
            if isinstance(refusal, PermissionDenied) and refusal.reason in DENIALS:
                raise LinkDenied(
                    "the consent service does not allow this link", refusal.reason
                ) from None
            raise refusal from None
        return self._transcrypt(
            ppb.TranscryptRequest(
                encrypted_pseudonym=encrypted,
                source_domain=source_domain,
                target_domain=self._key.domain,
                link_grant=grant.link_grant,
            ),
            "encrypted_subject",
        )

    def encrypted(self, pseudonym: bytes) -> bytes:
        """``Enc_{Y_onderzoek}(P)``, freshly randomised."""
        from stadskamer.client import encrypt_pseudonym  # type: ignore[attr-defined]  # removed: moves next

        return bytes(encrypt_pseudonym(pseudonym, self._key))

    def _transcrypt(self, request: ppb.TranscryptRequest, field: str) -> bytes:
        """Convert into onderzoek and decrypt; ``field`` names the subject for a refusal."""
        try:
            answer = self._pseudonyms.Transcrypt(request, timeout=self._timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error, "pseudonyms") from None
        try:
            return decrypt_pseudonym(answer.encrypted_pseudonym, self._key)
        except pep.NeutralPlaintextError:
            raise neutral_refusal(field) from None
        except pep.InvalidEncodingError:
            raise FailedPrecondition(
                "the pseudonym service answered under another key than the onderzoek key",
                "DOMAIN_KEY_MISMATCH",
            ) from None


class GrpcConsents:
    """Implements :class:`stadskamer.surveys.ports.Consents`."""

    def __init__(self, consent: grpc.Channel, requester_domain: str, timeout: float = 5.0) -> None:
        self._stub = cpb_grpc.ConsentServiceStub(consent)
        self._requester = requester_domain
        self._timeout = timeout

    def allowed(self, subject: bytes, subject_domain: str, purpose: str, target: str) -> bool:
        """CheckConsent for onderzoek as the requester."""
        request = cpb.CheckConsentRequest(
            subject=subject,
            subject_domain=subject_domain,
            purpose=purpose,
            requester_domain=self._requester,
            target_domain=target,
        )
        try:
            return bool(self._stub.CheckConsent(request, timeout=self._timeout).allowed)
        except grpc.RpcError as error:
            raise from_rpc_error(error, "consent") from None

    def grant_followup(
        self, request_id: str, encrypted: bytes, purpose_version: int
    ) -> GrantedConsent:
        """GrantConsent for ``survey-followup-call``, self-service on the web form."""
        request = cpb.GrantConsentRequest(
            request_id=request_id,
            subject=encrypted,
            subject_domain=self._requester,
            purpose=FOLLOWUP_PURPOSE,
            purpose_version=purpose_version,
            capture=cpb.Capture(
                channel=channel_pb2.CHANNEL_WEB_FORM, method=cpb.CAPTURE_METHOD_SELF_SERVICE
            ),
        )
        try:
            consent = self._stub.GrantConsent(request, timeout=self._timeout)
        except grpc.RpcError as error:
            refusal = from_rpc_error(error, "consent")
            if isinstance(refusal, InvalidArgument):
                raise InvalidArgument.for_field(
                    "consent_purpose_version",
                    "not a version of the survey-followup-call consent text",
                    refusal.reason,
                ) from None
            raise refusal from None
        return GrantedConsent(consent.name, consent.receipt)
