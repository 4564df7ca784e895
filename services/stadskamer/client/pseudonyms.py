"""The one client of the pseudonym service, and what a domain does with its own pseudonyms.

Nobody makes a polymorphic pseudonym: a system that identified a citizen by BSN has it issued
(:meth:`PseudonymClient.issue`, role ``issuer``) into the audience domains it acts for, and
from then on sends only those tagged bytes, exactly as received. A domain service claims a
tagged pseudonym of its own domain once (:meth:`PseudonymClient.claim`), which gives it its
stored reference and the processing record's subject, and decrypts with its own key
(:func:`decrypt_pseudonym`). Every RpcError becomes a domain error here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadskamer import pep
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.common.errors import InvalidArgument
from stadskamer.common.interceptors import ClientMetadataInterceptor
from stadskamer.common.keys import DomainKeyFile
from stadskamer.common.status import from_rpc_error
from stadskamer.pep import tags
from stadskamer.pep.tags import TaggedPseudonym

BATCH_LIMIT = 1000


def validate_bsn(raw: str) -> str:
    """The normalised nine-digit BSN, or :class:`stadskamer.pep.InvalidBsnError`."""
    return pep.normalize_bsn(raw)


@dataclass(frozen=True)
class DomainKey:
    """A domain's key pair: decrypts that domain's encrypted pseudonyms, and nothing else."""

    domain: str
    key_version: str
    secret_key: bytes
    public_key: bytes

    @classmethod
    def from_file(cls, path: Path) -> DomainKey:
        """Load an exported key file (``stadskamer keys export``)."""
        data = DomainKeyFile.load(path)
        return cls(data.domain, data.key_version, data.secret_key, data.public_key)


def decrypt_pseudonym(tagged: bytes, key: DomainKey, field: str = "subject") -> bytes:
    """The 32-byte domain pseudonym inside a tagged pseudonym of ``key.domain``.

    Only the tag's structure is checked here (audience, key); its signature is the
    pseudonym service's to check when the pseudonym is claimed. Raises INVALID_ARGUMENT
    naming ``field`` for anything else, and for a pseudonym that is the neutral element.
    """
    try:
        parsed = tags.parse(tagged)
        ciphertext = parsed.parsed_ciphertext()
    except (tags.InvalidTagError, pep.InvalidEncodingError):
        raise InvalidArgument.for_field(
            field, "not a tagged pseudonym", "UNTAGGED_PSEUDONYM"
        ) from None
    if parsed.audience != key.domain or ciphertext.public_key != key.public_key:
        raise InvalidArgument.for_field(
            field, f"not a pseudonym of domain {key.domain}", "WRONG_AUDIENCE"
        )
    try:
        return pep.decrypt(ciphertext, key.secret_key)
    except pep.NeutralPlaintextError:
        raise neutral_refusal(field) from None


def neutral_refusal(field: str) -> InvalidArgument:
    """INVALID_ARGUMENT naming ``field``, whose ciphertext decrypted to the neutral element."""
    return InvalidArgument.for_field(
        field, "not a citizen's pseudonym", pep.NeutralPlaintextError.reason
    )


@dataclass(frozen=True)
class Claim:
    """What a domain gets when it claims a tagged pseudonym of its own domain."""

    reference: bytes  # the stored reference (tagged, audience = the domain)
    audit_subject: bytes  # the processing record's subject (tagged, audit/<domain>)


class PseudonymClient:
    """A typed client of PseudonymService over a gRPC channel, adding the bearer token."""

    def __init__(
        self,
        channel: grpc.Channel,
        token: str | Callable[[], str | None] | None = None,
        timeout: float = 5.0,
    ) -> None:
        source = token if callable(token) else (lambda: token)
        intercepted = grpc.intercept_channel(channel, ClientMetadataInterceptor(source))
        self._stub = pb_grpc.PseudonymServiceStub(intercepted)
        self._timeout = timeout
        self._public: pb.GetPublicKeyResponse | None = None

    def _call(self, method: Callable[..., object], request: object, timeout: float) -> object:
        try:
            return method(request, timeout=timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error, "pseudonyms") from None

    def _public_key_response(self) -> pb.GetPublicKeyResponse:
        if self._public is None:
            response = self._call(self._stub.GetPublicKey, pb.GetPublicKeyRequest(), self._timeout)
            assert isinstance(response, pb.GetPublicKeyResponse)
            self._public = response
        return self._public

    def public_key(self) -> bytes:
        """The master public key ``Y`` (fetched once, then cached)."""
        return pep.validate_point(self._public_key_response().public_key)

    def tag_keys(self) -> dict[str, Ed25519PublicKey]:
        """The tag keys by key id, to check a tag locally (fetched once, then cached)."""
        return {
            key.key_id: Ed25519PublicKey.from_public_bytes(key.public_key)
            for key in self._public_key_response().tag_keys
        }

    def verify(self, tagged: bytes, field: str = "subject") -> TaggedPseudonym:
        """A tagged pseudonym whose tag verifies and has not expired, or INVALID_ARGUMENT."""
        try:
            return tags.verify(tagged, self.tag_keys(), datetime.now(UTC))
        except tags.InvalidTagError as error:
            raise InvalidArgument.for_field(field, str(error), error.reason) from None

    def issue(
        self, bsns: Sequence[str], audiences: Sequence[str], purpose: str
    ) -> list[list[bytes] | None]:
        """Per BSN its tagged pseudonyms (one per audience, in order), or None if refused."""
        answers: list[list[bytes] | None] = []
        for offset in range(0, len(bsns), BATCH_LIMIT):
            request = pb.IssuePolymorphicPseudonymsRequest(
                bsns=list(bsns[offset : offset + BATCH_LIMIT]),
                audiences=list(audiences),
                purpose=purpose,
            )
            response = self._call(self._stub.IssuePolymorphicPseudonyms, request, 6 * self._timeout)
            assert isinstance(response, pb.IssuePolymorphicPseudonymsResponse)
            for item in response.items:
                answers.append(
                    None if item.refusal_reason else [p.tagged_pseudonym for p in item.pseudonyms]
                )
        return answers

    def issue_one(self, bsn: str, audience: str, purpose: str) -> bytes:
        """The tagged pseudonym of one BSN for one audience; INVALID_ARGUMENT for a bad BSN."""
        answer = self.issue([bsn], [audience], purpose)[0]
        if answer is None:
            raise InvalidArgument.for_field("bsn", "not a valid BSN", "INVALID_BSN")
        return answer[0]

    def _transcrypt(self, requests: list[pb.TranscryptRequest]) -> list[pb.TranscryptResponse]:
        answers: list[pb.TranscryptResponse] = []
        for offset in range(0, len(requests), BATCH_LIMIT):
            chunk = requests[offset : offset + BATCH_LIMIT]
            if len(requests) == 1:
                single = self._call(self._stub.Transcrypt, chunk[0], self._timeout)
                assert isinstance(single, pb.TranscryptResponse)
                answers.append(single)
                continue
            batch = self._call(
                self._stub.BatchTranscrypt,
                pb.BatchTranscryptRequest(requests=chunk),
                6 * self._timeout,
            )
            assert isinstance(batch, pb.BatchTranscryptResponse)
            answers += batch.responses
        return answers

    def claim_many(self, items: Sequence[tuple[bytes, str]]) -> list[Claim]:
        """Claim each (tagged pseudonym, own domain) once; a refusal names ``requests[i]``."""
        requests = [pb.TranscryptRequest(tagged_pseudonym=t, target_domain=d) for t, d in items]
        return [Claim(a.tagged_pseudonym, a.audit_subject) for a in self._transcrypt(requests)]

    def claim(self, tagged: bytes, domain: str) -> Claim:
        """Claim one tagged pseudonym of ``domain`` (the caller's own)."""
        return self.claim_many([(tagged, domain)])[0]

    def convert(self, tagged: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """``tagged`` converted into ``target_domain`` (under ``link_grant``), tagged."""
        request = pb.TranscryptRequest(
            tagged_pseudonym=tagged, target_domain=target_domain, link_grant=link_grant
        )
        return self._transcrypt([request])[0].tagged_pseudonym

    def report_subjects(self, references: Sequence[bytes]) -> list[bytes]:
        """Processing-record subjects (tagged ``audit/<domain>``) for stored references."""
        requests = [
            pb.TranscryptRequest(tagged_pseudonym=r, target_domain="audit") for r in references
        ]
        return [answer.tagged_pseudonym for answer in self._transcrypt(requests)]

    def domain_key(self, domain: str) -> DomainKey:
        """Fetch a domain's key pair (the caller must be a service of that domain)."""
        response = self._call(
            self._stub.GetDomainKey, pb.GetDomainKeyRequest(domain=domain), self._timeout
        )
        assert isinstance(response, pb.GetDomainKeyResponse)
        return DomainKey(
            response.domain, response.key_version, response.secret_key, response.public_key
        )
