"""The gRPC servicer of the pseudonym service: converts proto ⇄ domain, holds no rule."""

from __future__ import annotations

from collections.abc import Iterable

import grpc

from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.common.auth import current_principal
from stadskamer.common.errors import FieldViolation
from stadskamer.common.interceptors import Validator
from stadskamer.pep import tags
from stadskamer.pseudonyms.issuance import MAX_ITEMS as MAX_ISSUANCE
from stadskamer.pseudonyms.issuance import Issuance
from stadskamer.pseudonyms.service import (
    MAX_BATCH,
    Converted,
    PseudonymService,
    TranscryptCommand,
)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["PseudonymService"].full_name


def _command(request: pb.TranscryptRequest) -> TranscryptCommand:
    source = request.WhichOneof("source")
    return TranscryptCommand(
        target_domain=request.target_domain,
        tagged=request.tagged_pseudonym if source == "tagged_pseudonym" else None,
        link_grant=request.link_grant,
        untagged=source if source and source != "tagged_pseudonym" else "",
    )


def transcrypt_violations(request: pb.TranscryptRequest, prefix: str = "") -> list[FieldViolation]:
    """Shape checks of one TranscryptRequest (presence and lengths)."""
    found = []
    source = request.WhichOneof("source")
    if source is None:
        found.append(FieldViolation(f"{prefix}source", "give tagged_pseudonym"))
    elif source != "tagged_pseudonym":
        found.append(FieldViolation(f"{prefix}{source}", "untagged pseudonyms are not converted"))
    elif len(request.tagged_pseudonym) > tags.MAX_WIRE_BYTES:
        found.append(FieldViolation(f"{prefix}tagged_pseudonym", "too long"))
    if not request.target_domain:
        found.append(FieldViolation(f"{prefix}target_domain", "required"))
    return found


def _issue_violations(request: pb.IssuePolymorphicPseudonymsRequest) -> Iterable[FieldViolation]:
    found = []
    if not request.bsns or len(request.bsns) > MAX_ISSUANCE:
        found.append(FieldViolation("bsns", f"give 1 to {MAX_ISSUANCE} BSNs"))
    if not request.audiences:
        found.append(FieldViolation("audiences", "give at least one audience domain"))
    if not request.purpose:
        found.append(FieldViolation("purpose", "required"))
    return found


def _batch_violations(request: pb.BatchTranscryptRequest) -> Iterable[FieldViolation]:
    if not request.requests:
        return [FieldViolation("requests", "give at least one request")]
    if len(request.requests) > MAX_BATCH:
        return [FieldViolation("requests", f"at most {MAX_BATCH} items per batch")]
    found: list[FieldViolation] = []
    for index, item in enumerate(request.requests):
        found += transcrypt_violations(item, f"requests[{index}].")
    return found


def _domain_key_violations(request: pb.GetDomainKeyRequest) -> Iterable[FieldViolation]:
    return [] if request.domain else [FieldViolation("domain", "required")]


VALIDATORS: dict[str, Validator] = {
    f"/{SERVICE_NAME}/IssuePolymorphicPseudonyms": _issue_violations,
    f"/{SERVICE_NAME}/Transcrypt": transcrypt_violations,
    f"/{SERVICE_NAME}/BatchTranscrypt": _batch_violations,
    f"/{SERVICE_NAME}/GetDomainKey": _domain_key_violations,
}


class PseudonymServicer(pb_grpc.PseudonymServiceServicer):
    """Maps the PseudonymService RPCs onto :class:`PseudonymService`."""

    def __init__(self, service: PseudonymService, issuance: Issuance) -> None:
        self._service = service
        self._issuance = issuance

    def GetPublicKey(
        self, request: pb.GetPublicKeyRequest, context: grpc.ServicerContext
    ) -> pb.GetPublicKeyResponse:
        """The master public key."""
        transcryptor = self._service.transcryptor
        return pb.GetPublicKeyResponse(
            public_key=transcryptor.master_public_key,
            scheme_version=transcryptor.version,
            tag_keys=[
                pb.TagKey(key_id=key_id, public_key=tags.public_key_bytes(key))
                for key_id, key in self._service.tag_public_keys.items()
            ],
        )

    def IssuePolymorphicPseudonyms(
        self, request: pb.IssuePolymorphicPseudonymsRequest, context: grpc.ServicerContext
    ) -> pb.IssuePolymorphicPseudonymsResponse:
        """Issue BSNs into audiences."""
        answers = self._issuance.issue(
            current_principal(), list(request.bsns), list(request.audiences), request.purpose
        )
        return pb.IssuePolymorphicPseudonymsResponse(
            items=[
                pb.IssuedPseudonyms(
                    pseudonyms=[
                        pb.TaggedPseudonym(audience=t.audience, tagged_pseudonym=t.to_bytes())
                        for t in answer.pseudonyms
                    ],
                    refusal_reason=answer.refusal_reason,
                )
                for answer in answers
            ]
        )

    def ListDomains(
        self, request: pb.ListDomainsRequest, context: grpc.ServicerContext
    ) -> pb.ListDomainsResponse:
        """The domain catalogue."""
        return pb.ListDomainsResponse(
            domains=[
                pb.Domain(name=d.name, public_key=d.public_key)
                for d in self._service.transcryptor.domains
            ]
        )

    def Transcrypt(
        self, request: pb.TranscryptRequest, context: grpc.ServicerContext
    ) -> pb.TranscryptResponse:
        """One conversion."""
        return _response(self._service.transcrypt(current_principal(), _command(request)))

    def BatchTranscrypt(
        self, request: pb.BatchTranscryptRequest, context: grpc.ServicerContext
    ) -> pb.BatchTranscryptResponse:
        """Many conversions."""
        commands = [_command(item) for item in request.requests]
        results = self._service.transcrypt_batch(current_principal(), commands)
        return pb.BatchTranscryptResponse(responses=[_response(r) for r in results])

    def GetDomainKey(
        self, request: pb.GetDomainKeyRequest, context: grpc.ServicerContext
    ) -> pb.GetDomainKeyResponse:
        """A domain's key pair, for a service of that domain."""
        key = self._service.issue_domain_key(current_principal(), request.domain)
        return pb.GetDomainKeyResponse(
            domain=key.domain,
            key_version=key.key_version,
            secret_key=key.secret_key,
            public_key=key.public_key,
        )


def _response(converted: Converted) -> pb.TranscryptResponse:
    tagged = converted.tagged
    return pb.TranscryptResponse(
        encrypted_pseudonym=tagged.ciphertext,
        target_domain=tagged.audience,
        tagged_pseudonym=tagged.to_bytes(),
        audit_subject=converted.audit_subject.to_bytes() if converted.audit_subject else b"",
    )
