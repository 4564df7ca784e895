"""The subject resolver over gRPC: Transcrypt into ``klachten``, then decrypt with ``y_d``.

The complaints service calls the pseudonym service with its own service token (domain
``klachten``) and decrypts the answer with the klachten domain key: the 32-byte domain
pseudonym is the only subject value it stores. A refused pseudonym is INVALID_ARGUMENT
naming ``subject``; a pseudonym service that cannot be reached is UNAVAILABLE. An encrypted
pseudonym of ``klachten`` (converted by the pseudonym service under a link grant) is opened
with the domain key alone.
"""

from __future__ import annotations

import grpc

from stadskamer import pep
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, decrypt_pseudonym, neutral_refusal
from stadskamer.common.errors import FailedPrecondition, InvalidArgument
from stadskamer.common.status import from_rpc_error


class GrpcSubjectResolver:
    """Implements :class:`stadskamer.complaints.ports.SubjectResolver` over a peer channel."""

    def __init__(self, channel: grpc.Channel, key: DomainKey, timeout: float = 5.0) -> None:
        self._stub = pb_grpc.PseudonymServiceStub(channel)
        self._key = key
        self._timeout = timeout

    def domain_pseudonym(self, polymorphic: bytes) -> bytes:
        """The ``klachten`` pseudonym of a polymorphic pseudonym."""
        request = pb.TranscryptRequest(
            polymorphic_pseudonym=polymorphic, target_domain=self._key.domain
        )
        try:
            answer = self._stub.Transcrypt(request, timeout=self._timeout)
        except grpc.RpcError as error:
            refusal = from_rpc_error(error, "pseudonyms")
            if isinstance(refusal, InvalidArgument) and any(
                v.field == "polymorphic_pseudonym" for v in refusal.violations
            ):
                raise InvalidArgument.for_field(
                    "subject", "not a polymorphic pseudonym of this deployment", refusal.reason
                ) from None
            raise refusal from None
        try:
            return decrypt_pseudonym(answer.encrypted_pseudonym, self._key)
        except pep.NeutralPlaintextError:
            raise neutral_refusal("subject") from None
        except pep.InvalidEncodingError:
            raise FailedPrecondition(
                "the pseudonym service answered under another key than the klachten key",
                "DOMAIN_KEY_MISMATCH",
            ) from None

    def open_encrypted(self, encrypted: bytes) -> bytes:
        """The ``klachten`` pseudonym inside an encrypted pseudonym of ``klachten``."""
        try:
            return decrypt_pseudonym(encrypted, self._key)
        except pep.NeutralPlaintextError:
            raise neutral_refusal("encrypted_subject") from None
        except pep.InvalidEncodingError:
            raise InvalidArgument.for_field(
                "encrypted_subject",
                f"not an encrypted pseudonym of {self._key.domain}",
                "NOT_AN_ENCRYPTED_PSEUDONYM_OF_DOMAIN",
            ) from None
