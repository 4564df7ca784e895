"""The pseudonym port over gRPC: Transcrypt (or BatchTranscrypt), then decrypt with y_d.

The contacts service calls the pseudonym service with its own service token, for its own
domains only, and decrypts the answer with that domain's key: the 32-byte domain pseudonym is
the only subject value it ever stores. For the processing record it encrypts that pseudonym
again under the domain's public key (no second conversion): the audit service turns it into
its own domain when it appends the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import grpc

from stadskamer import pep
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, decrypt_pseudonym
from stadskamer.common.errors import FailedPrecondition, InvalidArgument, StadskamerError
from stadskamer.common.status import from_rpc_error
from stadskamer.contacts.ports import RejectedPseudonym

BATCH_LIMIT = 1000
_ITEM = re.compile(r"^requests\[(\d+)\]\.")


class GrpcPseudonyms:
    """Implements :class:`stadskamer.contacts.ports.PseudonymPort` over a peer channel."""

    def __init__(
        self, channel: grpc.Channel, keys: Mapping[str, DomainKey], timeout: float = 5.0
    ) -> None:
        self._stub = pb_grpc.PseudonymServiceStub(channel)
        self._keys = dict(keys)
        self._timeout = timeout

    def domain_pseudonyms(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """The domain pseudonym of each (polymorphic pseudonym, domain), in order."""
        requests = [
            pb.TranscryptRequest(polymorphic_pseudonym=p, target_domain=d) for p, d in items
        ]
        answers = self._transcrypt(requests)
        return [
            self._decrypt(answer.encrypted_pseudonym, domain, index)
            for index, (answer, (_, domain)) in enumerate(zip(answers, items, strict=True))
        ]

    def with_record_subjects(self, items: Sequence[tuple[bytes, str]]) -> list[tuple[bytes, bytes]]:
        """Per item (domain pseudonym, that pseudonym encrypted afresh under the domain key)."""
        from stadskamer.client import encrypt_pseudonym  # type: ignore[attr-defined]  # removed: moves next

        pseudonyms = self.domain_pseudonyms(items)
        return [
            (pseudonym, encrypt_pseudonym(pseudonym, self._keys[domain]))
            for pseudonym, (_, domain) in zip(pseudonyms, items, strict=True)
        ]

    def decrypt(self, encrypted: bytes, domain: str) -> bytes:
        """The domain pseudonym inside an encrypted pseudonym of ``domain`` held here."""
        key = self._keys.get(domain)
        if key is None:
            raise RejectedPseudonym(0, "DOMAIN_NOT_SERVED")
        try:
            return decrypt_pseudonym(encrypted, key)
        except pep.NeutralPlaintextError as error:
            raise RejectedPseudonym(0, error.reason) from None
        except pep.InvalidEncodingError:
            raise RejectedPseudonym(0, "NOT_AN_ENCRYPTED_PSEUDONYM_OF_DOMAIN") from None

    def _transcrypt(self, requests: list[pb.TranscryptRequest]) -> list[pb.TranscryptResponse]:
        """One Transcrypt for a single request, else one BatchTranscrypt per 1000 requests;
        a refused polymorphic pseudonym names its request's index."""
        answers: list[pb.TranscryptResponse] = []
        for offset in range(0, len(requests), BATCH_LIMIT):
            chunk = requests[offset : offset + BATCH_LIMIT]
            try:
                if len(requests) == 1:
                    answers.append(self._stub.Transcrypt(chunk[0], timeout=self._timeout))
                else:
                    response = self._stub.BatchTranscrypt(
                        pb.BatchTranscryptRequest(requests=chunk), timeout=6 * self._timeout
                    )
                    answers += response.responses
            except grpc.RpcError as error:
                raise _translate(from_rpc_error(error, "pseudonyms"), offset) from None
        return answers

    def _decrypt(self, encrypted: bytes, domain: str, index: int) -> bytes:
        """The domain pseudonym in the answer to item ``index``; one of no one (the neutral
        element) refuses that item's subject."""
        try:
            return decrypt_pseudonym(encrypted, self._keys[domain])
        except pep.NeutralPlaintextError as error:
            raise RejectedPseudonym(index, error.reason) from None
        except pep.InvalidEncodingError:
            raise FailedPrecondition(
                "the pseudonym service answered under another key than this domain's key",
                "DOMAIN_KEY_MISMATCH",
            ) from None


def _translate(error: StadskamerError, offset: int) -> Exception:
    """A refusal of the polymorphic pseudonym names the item; other errors pass unchanged."""
    if not isinstance(error, InvalidArgument):
        return error
    for violation in error.violations:
        if violation.field.endswith("polymorphic_pseudonym"):
            match = _ITEM.match(violation.field)
            index = offset + (int(match.group(1)) if match else 0)
            return RejectedPseudonym(index, error.reason)
    return FailedPrecondition(
        "the pseudonym service refused the conversion request", "PSEUDONYM_SERVICE_REFUSED"
    )
