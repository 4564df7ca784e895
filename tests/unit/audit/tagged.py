"""Tagged ``audit/<domain>`` subjects made with a test's own tag key, as the pseudonym service
would hand them out, and the verifier the audit service checks them with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer import pep
from stadskamer.client import DomainKey
from stadskamer.common.errors import InvalidArgument
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind, TaggedPseudonym


@dataclass
class Tagger:
    """A tag key and the audit domain's key pair; a citizen is a point ``s_d·M`` per domain."""

    tag_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    audit_key: DomainKey = field(default_factory=lambda: _domain_key("audit"))

    def pseudonym(self, citizen: str, domain: str) -> bytes:
        """The 32-byte audit pseudonym of ``citizen`` reported by ``domain``."""
        return pep.identity_point(f"{citizen}/{domain}")

    def subject(
        self,
        citizen: str,
        domain: str,
        *,
        audience: str | None = None,
        kind: Kind = Kind.ENCRYPTED,
        key: bytes | None = None,
        lifetime: timedelta = timedelta(hours=1),
    ) -> bytes:
        """A tagged pseudonym of ``citizen`` for ``audit/<domain>`` (or ``audience``)."""
        return self.tag(
            pep.encrypt(self.pseudonym(citizen, domain), key or self.audit_key.public_key),
            audience or f"audit/{domain}",
            kind,
            lifetime,
        )

    def tag(
        self,
        ciphertext: pep.Ciphertext,
        audience: str,
        kind: Kind = Kind.ENCRYPTED,
        lifetime: timedelta = timedelta(hours=1),
    ) -> bytes:
        """``ciphertext`` tagged with the tag key."""
        signed = tags.sign(
            self.tag_key,
            kind,
            ciphertext.to_bytes(),
            audience=audience,
            not_after=datetime.now(UTC) + lifetime,
            key_version=self.audit_key.key_version,
        )
        return signed.to_bytes()

    def verify(self, tagged: bytes, field: str = "subject") -> TaggedPseudonym:
        """What :meth:`stadskamer.client.PseudonymClient.verify` does, with this tag key."""
        public = self.tag_key.public_key()
        try:
            return tags.verify(tagged, {tags.tag_key_id(public): public}, datetime.now(UTC))
        except tags.InvalidTagError as error:
            raise InvalidArgument.for_field(field, str(error), error.reason) from None


def _domain_key(domain: str) -> DomainKey:
    secret = pep.random_scalar()
    return DomainKey(domain, "v1", secret, pep.public_key(secret))
