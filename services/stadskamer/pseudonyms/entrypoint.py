"""The gRPC servicer of the pseudonym service: converts proto ⇄ domain, holds no rule."""

from __future__ import annotations

from collections.abc import Iterable

import grpc

from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.common.auth import current_principal
from stadskamer.common.errors import FieldViolation
from stadskamer.common.interceptors import Validator
from stadskamer.pep import CIPHERTEXT_BYTES
from stadskamer.pseudonyms.service import MAX_BATCH, PseudonymService, TranscryptCommand

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["PseudonymService"].full_name


def _command(request: pb.TranscryptRequest) -> TranscryptCommand:
    source = request.WhichOneof("source")
    return TranscryptCommand(
        target_domain=request.target_domain,
        polymorphic=request.polymorphic_pseudonym if source == "polymorphic_pseudonym" else None,
        encrypted=request.encrypted_pseudonym if source == "encrypted_pseudonym" else None,
        source_domain=request.source_domain,
        link_grant=request.link_grant,
    )


def transcrypt_violations(request: pb.TranscryptRequest, prefix: str = "") -> list[FieldViolation]:
    """Shape checks of one TranscryptRequest (presence and lengths)."""
    found = []
    source = request.WhichOneof("source")
    if source is None:
        found.append(
            FieldViolation(f"{prefix}source", "give polymorphic_pseudonym or encrypted_pseudonym")
        )
    elif len(getattr(request, source)) != CIPHERTEXT_BYTES:
        found.append(FieldViolation(f"{prefix}{source}", f"must be {CIPHERTEXT_BYTES} bytes"))
    if source == "encrypted_pseudonym" and not request.source_domain:
        found.append(FieldViolation(f"{prefix}source_domain", "required with encrypted_pseudonym"))
    if source == "polymorphic_pseudonym" and request.source_domain:
        found.append(FieldViolation(f"{prefix}source_domain", "only with encrypted_pseudonym"))
    if not request.target_domain:
        found.append(FieldViolation(f"{prefix}target_domain", "required"))
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
    f"/{SERVICE_NAME}/Transcrypt": transcrypt_violations,
    f"/{SERVICE_NAME}/BatchTranscrypt": _batch_violations,
    f"/{SERVICE_NAME}/GetDomainKey": _domain_key_violations,
}


class PseudonymServicer(pb_grpc.PseudonymServiceServicer):
    """Maps the PseudonymService RPCs onto :class:`PseudonymService`."""

    def __init__(self, service: PseudonymService) -> None:
        self._service = service

    def GetPublicKey(
        self, request: pb.GetPublicKeyRequest, context: grpc.ServicerContext
    ) -> pb.GetPublicKeyResponse:
        """The master public key."""
        transcryptor = self._service.transcryptor
        return pb.GetPublicKeyResponse(
            public_key=transcryptor.master_public_key, scheme_version=transcryptor.version
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
        result = self._service.transcrypt(current_principal(), _command(request))
        return pb.TranscryptResponse(
            encrypted_pseudonym=result.to_bytes(), target_domain=request.target_domain
        )

    def BatchTranscrypt(
        self, request: pb.BatchTranscryptRequest, context: grpc.ServicerContext
    ) -> pb.BatchTranscryptResponse:
        """Many conversions."""
        commands = [_command(item) for item in request.requests]
        results = self._service.transcrypt_batch(current_principal(), commands)
        return pb.BatchTranscryptResponse(
            responses=[
                pb.TranscryptResponse(
                    encrypted_pseudonym=r.to_bytes(), target_domain=c.target_domain
                )
                for r, c in zip(results, commands, strict=True)
            ]
        )

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
