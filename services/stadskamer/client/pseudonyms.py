"""Polymorphic pseudonyms at the edge, and the gRPC client of the pseudonym service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc

from stadskamer import pep
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.common.errors import InvalidArgument
from stadskamer.common.interceptors import ClientMetadataInterceptor
from stadskamer.common.keys import DomainKeyFile


def validate_bsn(raw: str) -> str:
    """The normalised nine-digit BSN, or :class:`stadskamer.pep.InvalidBsnError`."""
    return pep.normalize_bsn(raw)


def make_polymorphic_pseudonym(bsn: str, public_key: bytes, r: bytes | None = None) -> bytes:
    """``Enc_Y(M)`` for a BSN (validated here), as 96 bytes. Randomised unless ``r`` is given."""
    identity = pep.identity_point(pep.normalize_bsn(bsn))
    return pep.encrypt(identity, public_key, r).to_bytes()


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


def decrypt_pseudonym(encrypted: bytes, key: DomainKey) -> bytes:
    """The 32-byte domain pseudonym inside an encrypted pseudonym of ``key.domain``.

    Raises :class:`stadskamer.pep.InvalidEncodingError` for malformed input or when the
    ciphertext is not under this domain's public key, and its subclass
    :class:`stadskamer.pep.NeutralPlaintextError` when it encrypts the neutral element (the
    pseudonym of no one), which the caller refuses as the subject's error.
    """
    ciphertext = pep.Ciphertext.from_bytes(encrypted)
    if ciphertext.public_key != key.public_key:
        raise pep.InvalidEncodingError(f"not an encrypted pseudonym of domain {key.domain!r}")
    return pep.decrypt(ciphertext, key.secret_key)


def neutral_refusal(field: str) -> InvalidArgument:
    """INVALID_ARGUMENT naming ``field``, whose ciphertext decrypted to the neutral element."""
    return InvalidArgument.for_field(
        field, "not a citizen's pseudonym", pep.NeutralPlaintextError.reason
    )


def encrypt_pseudonym(domain_pseudonym: bytes, key: DomainKey, r: bytes | None = None) -> bytes:
    """``Enc_{Y_d}(P_d)``: the domain's own pseudonym, encrypted for a conversion request."""
    return pep.encrypt(domain_pseudonym, key.public_key, r).to_bytes()


class PseudonymClient:
    """A typed client of PseudonymService over a gRPC channel, adding the bearer token."""

    def __init__(
        self, channel: grpc.Channel, token: str | Callable[[], str | None] | None = None
    ) -> None:
        source = token if callable(token) else (lambda: token)
        intercepted = grpc.intercept_channel(channel, ClientMetadataInterceptor(source))
        self._stub = pb_grpc.PseudonymServiceStub(intercepted)
        self._public_key: bytes | None = None

    def public_key(self, timeout: float = 5.0) -> bytes:
        """The master public key ``Y`` (fetched once, then cached)."""
        if self._public_key is None:
            response = self._stub.GetPublicKey(pb.GetPublicKeyRequest(), timeout=timeout)
            pep.validate_point(response.public_key)
            self._public_key = response.public_key
        return self._public_key

    def polymorphic_pseudonym(self, bsn: str) -> bytes:
        """Validate a BSN and make its polymorphic pseudonym locally."""
        return make_polymorphic_pseudonym(bsn, self.public_key())

    def transcrypt(self, polymorphic: bytes, target_domain: str, timeout: float = 5.0) -> bytes:
        """The encrypted pseudonym of ``target_domain`` for a polymorphic pseudonym."""
        request = pb.TranscryptRequest(
            polymorphic_pseudonym=polymorphic, target_domain=target_domain
        )
        return self._stub.Transcrypt(request, timeout=timeout).encrypted_pseudonym

    def transcrypt_many(
        self, polymorphics: list[bytes], target_domain: str, timeout: float = 30.0
    ) -> list[bytes]:
        """Batch form of :meth:`transcrypt`."""
        request = pb.BatchTranscryptRequest(
            requests=[
                pb.TranscryptRequest(polymorphic_pseudonym=p, target_domain=target_domain)
                for p in polymorphics
            ]
        )
        response = self._stub.BatchTranscrypt(request, timeout=timeout)
        return [item.encrypted_pseudonym for item in response.responses]

    def domain_key(self, domain: str, timeout: float = 5.0) -> DomainKey:
        """Fetch a domain's key pair (the caller must be a service of that domain)."""
        response = self._stub.GetDomainKey(pb.GetDomainKeyRequest(domain=domain), timeout=timeout)
        return DomainKey(
            response.domain, response.key_version, response.secret_key, response.public_key
        )
