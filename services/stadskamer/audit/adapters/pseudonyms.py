"""The subject port over gRPC: Transcrypt (polymorphic → "audit"), then decrypt with y_audit.

The audit service converts with its own service token, into its own domain only, and keeps
nothing but the 32-byte audit-domain pseudonym. A subject a reporter already had encrypted for
the audit domain (the pseudonym service's ``report`` rule) needs no conversion: it is
decrypted here, without a call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import grpc

from stadskamer import pep
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.audit.ports import RejectedSubject
from stadskamer.client import DomainKey, decrypt_pseudonym
from stadskamer.common.errors import FailedPrecondition, InvalidArgument
from stadskamer.common.status import from_rpc_error

AUDIT_DOMAIN = "audit"
_ITEM = re.compile(r"^requests\[(\d+)\]\.")


class GrpcSubjects:
    """Implements :class:`stadskamer.audit.ports.SubjectResolver` over a peer channel."""

    def __init__(self, channel: grpc.Channel, key: DomainKey, timeout: float = 5.0) -> None:
        self._stub = pb_grpc.PseudonymServiceStub(channel)
        self._key = key
        self._timeout = timeout

    def audit_pseudonyms(self, subjects: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """The audit-domain pseudonym of each subject (at most 1000).

        A subject is a polymorphic pseudonym (domain "") or an encrypted pseudonym of the
        given domain, which the pseudonym service converts under its oversight rule.
        """
        result = [b""] * len(subjects)
        remote: list[int] = []
        for index, (subject, domain) in enumerate(subjects):
            if domain == AUDIT_DOMAIN:
                result[index] = self._own(subject, index)
            else:
                remote.append(index)
        if remote:
            try:
                converted = self._convert([subjects[i] for i in remote])
            except RejectedSubject as rejected:
                raise RejectedSubject(remote[rejected.index], rejected.reason) from None
            for position, index in enumerate(remote):
                result[index] = converted[position]
        return result

    def _own(self, encrypted: bytes, index: int) -> bytes:
        """The pseudonym inside a subject already encrypted for the audit domain."""
        try:
            return decrypt_pseudonym(encrypted, self._key)
        except pep.NeutralPlaintextError as error:
            raise RejectedSubject(index, error.reason) from None
        except pep.InvalidEncodingError:
            raise RejectedSubject(index) from None

    def _convert(self, subjects: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """Have the pseudonym service convert the subjects into the audit domain."""
        requests = [
            pb.TranscryptRequest(
                encrypted_pseudonym=subject, source_domain=domain, target_domain=AUDIT_DOMAIN
            )
            if domain
            else pb.TranscryptRequest(polymorphic_pseudonym=subject, target_domain=AUDIT_DOMAIN)
            for subject, domain in subjects
        ]
        try:
            if len(requests) == 1:
                answers = [self._stub.Transcrypt(requests[0], timeout=self._timeout)]
            else:
                batch = pb.BatchTranscryptRequest(requests=requests)
                answers = list(
                    self._stub.BatchTranscrypt(batch, timeout=6 * self._timeout).responses
                )
        except grpc.RpcError as error:
            raise _translate(from_rpc_error(error, "pseudonyms")) from None
        return [self._decrypt(answer.encrypted_pseudonym, i) for i, answer in enumerate(answers)]

    def _decrypt(self, encrypted: bytes, index: int) -> bytes:
        try:
            return decrypt_pseudonym(encrypted, self._key)
        except pep.NeutralPlaintextError as error:
            raise RejectedSubject(index, error.reason) from None
        except pep.InvalidEncodingError:
            raise FailedPrecondition(
                "the pseudonym service answered under another key than the audit domain's",
                "DOMAIN_KEY_MISMATCH",
            ) from None


def _translate(error: Exception) -> Exception:
    """A refused polymorphic pseudonym names its item; other errors pass unchanged."""
    if not isinstance(error, InvalidArgument):
        return error
    for violation in error.violations:
        if violation.field.endswith("polymorphic_pseudonym"):
            match = _ITEM.match(violation.field)
            return RejectedSubject(int(match.group(1)) if match else 0)
    return FailedPrecondition(
        "the pseudonym service refused the conversion request", "PSEUDONYM_SERVICE_REFUSED"
    )
