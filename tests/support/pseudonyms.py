"""The real pseudonym service in process, called as a domain service calls the one client.

For use-case tests of a domain service: the pseudonym service's own use cases (issuance,
claims, refreshes, reports, grant-bound conversions) on a SQLite file of their own, with real
tags and real crypto, so the service under test gets exactly the bytes it would get over gRPC.
:class:`LocalPseudonyms` has the methods of :class:`stadskamer.client.PseudonymClient` that
domain services use, for one caller; ``down`` makes every call UNAVAILABLE, as an unreachable
pseudonym service would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stadskamer import pep
from stadskamer.client import Claim, DomainKey
from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, Unavailable
from stadskamer.common.link_grants import LinkGrant
from stadskamer.pep import tags
from stadskamer.pep.tags import TaggedPseudonym
from stadskamer.pseudonyms.service import TranscryptCommand
from tests.integration.pseudonyms.service_under_test import Parts, principal, pseudonym_service

ISSUER = principal("test-issuer", {"kcc", "klachten", "onderzoek"}, {"issuer", "system"})


@dataclass
class LocalPseudonyms:
    """The pseudonym service as ``caller`` reaches it."""

    parts: Parts
    caller: Principal
    down: bool = False
    calls: int = 0
    issuer: Principal = field(default=ISSUER)

    def as_caller(self, caller: Principal) -> LocalPseudonyms:
        """The same service reached by another caller."""
        return replace(self, caller=caller, down=False, calls=0)

    def _call(self) -> None:
        self.calls += 1
        if self.down:
            raise Unavailable("the pseudonyms service is unavailable", "DEPENDENCY_UNAVAILABLE")

    def issue(self, bsn: str, audience: str, purpose: str = "contact-registration") -> bytes:
        """A fresh tagged pseudonym of ``bsn`` for ``audience`` (as the gateway has it issued)."""
        issuer = replace(self.issuer, domains=self.issuer.domains | {audience})
        answer = self.parts.issuance.issue(issuer, [bsn], [audience], purpose)[0]
        return answer.pseudonyms[0].to_bytes()

    def key(self, domain: str) -> DomainKey:
        """A domain's key pair."""
        secret, public = self.parts.key(domain)
        return DomainKey(domain, "v1", secret, public)

    def grant(
        self,
        subject: bytes,
        requester: str,
        target: str,
        purpose: str,
        presenter: str,
        basis: str = "consents/test",
        lifetime: timedelta = timedelta(seconds=30),
    ) -> tuple[LinkGrant, str]:
        """A link grant for ``subject`` as the consent service issues it, and its token."""
        grant = LinkGrant.create(
            tags.parse(subject).use_key(),
            requester,
            target,
            purpose,
            basis,
            datetime.now(UTC),
            lifetime,
            presenter=presenter,
        )
        return grant, link_grants.issue(grant, self.parts.consent_key)

    def verify(self, tagged: bytes, field: str = "subject") -> TaggedPseudonym:
        """The tag checked locally, as the client does."""
        service = self.parts.service
        try:
            return tags.verify(tagged, service.tag_public_keys, service.now())
        except tags.InvalidTagError as error:
            raise InvalidArgument.for_field(field, str(error), error.reason) from None

    def claim(self, tagged: bytes, domain: str) -> Claim:
        """Claim once: the stored reference and the record subject."""
        self._call()
        converted = self.parts.service.transcrypt(self.caller, TranscryptCommand(domain, tagged))
        assert converted.audit_subject is not None
        return Claim(converted.tagged.to_bytes(), converted.audit_subject.to_bytes())

    def claim_many(self, items: Sequence[tuple[bytes, str]]) -> list[Claim]:
        """:meth:`claim` of each item."""
        return [self.claim(tagged, domain) for tagged, domain in items]

    def convert(self, tagged: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """A conversion (a refresh into the audience, or under a grant)."""
        self._call()
        command = TranscryptCommand(target_domain, tagged, link_grant)
        return self.parts.service.transcrypt(self.caller, command).tagged.to_bytes()

    def report_subjects(self, references: Sequence[bytes]) -> list[bytes]:
        """Record subjects of stored references."""
        return [self.convert(reference, "audit") for reference in references]

    def pseudonym(self, tagged: bytes) -> bytes:
        """The domain pseudonym inside any tagged pseudonym (the test can read every domain)."""
        parsed = tags.parse(tagged)
        audience = parsed.audience
        secret, _ = self.parts.key("audit" if audience.startswith("audit/") else audience)
        return pep.decrypt(parsed.parsed_ciphertext(), secret)


@contextmanager
def local_pseudonyms(folder: Path, caller: Principal) -> Iterator[LocalPseudonyms]:
    """The pseudonym service on a SQLite file in ``folder``, reached by ``caller``."""
    folder.mkdir(parents=True, exist_ok=True)
    with pseudonym_service(f"sqlite:///{folder / 'pseudonyms.db'}") as parts:
        yield LocalPseudonyms(parts, caller)
