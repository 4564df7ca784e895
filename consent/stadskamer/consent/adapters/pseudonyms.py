"""The subject resolver over the pseudonym service's gRPC contract and the consent domain key."""

from __future__ import annotations

import grpc

from stadskamer import pep
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, decrypt_pseudonym
from stadskamer.common.errors import InvalidArgument, Unavailable
from stadskamer.common.status import from_rpc_error

PEER = "pseudonyms"


class PseudonymServiceResolver:
    """Transcrypts a polymorphic pseudonym to the consent domain and decrypts it locally."""

    def __init__(self, channel: grpc.Channel, key: DomainKey, timeout: float = 5.0) -> None:
        self._stub = pb_grpc.PseudonymServiceStub(channel)
        self._key = key
        self._timeout = timeout

    def consent_pseudonym(self, subject: bytes, subject_domain: str = "") -> bytes:
        """The consent-domain pseudonym; INVALID_ARGUMENT on ``subject``, or UNAVAILABLE.

        An encrypted pseudonym of another domain is converted under the pseudonym service's
        oversight rule (the consent domain may receive any pseudonym to check consent).
        """
        request = pb.TranscryptRequest(target_domain=self._key.domain)
        if subject_domain:
            request.encrypted_pseudonym = subject
            request.source_domain = subject_domain
        else:
            request.polymorphic_pseudonym = subject
        try:
            response = self._stub.Transcrypt(request, timeout=self._timeout)
        except grpc.RpcError as error:
            failure = from_rpc_error(error, PEER)
            if isinstance(failure, InvalidArgument):
                raise InvalidArgument.for_field(
                    "subject", "not a pseudonym of this deployment", failure.reason
                ) from None
            raise failure from None
        try:
            return decrypt_pseudonym(response.encrypted_pseudonym, self._key)
        except pep.InvalidEncodingError:
            raise Unavailable(
                "the pseudonym service answered with an unusable pseudonym", "DEPENDENCY_FAILED"
            ) from None
