"""The citizen of a request as the consent service knows them: a tagged pseudonym in, P out.

Every RPC that names a citizen takes a tagged pseudonym as the pseudonym service handed it
out (shared/design/pseudonyms.md, "Issued, never self-made"). Its tag is verified here first
(signature, expiry, kind, and an audience the request allows). The pseudonym (issued, produced
under a grant, or a domain's refreshed stored reference) is then converted into the consent
domain (the transcryptor's oversight rule, for the consent service only) and that conversion
claimed at once, which gives:

- ``P_consent``, decrypted with the consent domain key: the key of the consent rows;
- the processing record's subject, a tagged ``audit/consent`` pseudonym;
- a stored reference of the consent domain, kept with a new consent so that the records of
  later reads and withdrawals name the citizen without converting anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from stadskamer.client import DomainKey, decrypt_pseudonym
from stadskamer.common.errors import FailedPrecondition, InvalidArgument
from stadskamer.consent.ports import Pseudonyms
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind, TaggedPseudonym

DOMAIN = "consent"
FIELD = "subject"


@dataclass(frozen=True)
class Subject:
    """The presented pseudonym's tag and what the consent service knows of its citizen."""

    tag: TaggedPseudonym
    pseudonym: bytes  # P_consent
    record_subject: bytes  # tagged audit/consent, for the processing record
    reference: bytes  # a stored reference of the consent domain

    @property
    def use_key(self) -> bytes:
        """What a link grant for this subject is bound to (the tag's message hash)."""
        return self.tag.use_key()


class Subjects:
    """Verifies, converts and claims the subjects of requests; names stored consents."""

    def __init__(
        self, pseudonyms: Pseudonyms, key: DomainKey, clock: Callable[[], datetime]
    ) -> None:
        self._pseudonyms = pseudonyms
        self._key = key
        self._clock = clock

    def verified(self, raw: bytes, audiences: Iterable[str], field: str = FIELD) -> TaggedPseudonym:
        """The tag of ``raw`` if it verifies and names one of ``audiences``; INVALID_ARGUMENT."""
        tag = self._pseudonyms.verify(raw, field)
        if tag.kind is Kind.POLYMORPHIC:
            raise InvalidArgument.for_field(
                field, "an encrypted pseudonym, not a polymorphic one", "TAG_KIND_REFUSED"
            )
        allowed = set(audiences)
        if tag.audience not in allowed:
            raise InvalidArgument.for_field(
                field, "a pseudonym of " + " or ".join(sorted(allowed)), "WRONG_AUDIENCE"
            )
        return tag

    def converted(self, raw: bytes, tag: TaggedPseudonym) -> Subject:
        """The subject in the consent domain: P, the record subject and a stored reference.

        INVALID_ARGUMENT on ``subject`` for what the pseudonym service refuses; a refusal of
        the caller (PERMISSION_DENIED) as it answers; UNAVAILABLE when it is unreachable.
        """
        try:
            into_consent = self._pseudonyms.convert(raw, DOMAIN)
            claim = self._pseudonyms.claim(into_consent, DOMAIN)
        except InvalidArgument as refusal:
            raise InvalidArgument.for_field(
                FIELD, "not a pseudonym the pseudonym service converts", refusal.reason
            ) from None
        try:
            pseudonym = decrypt_pseudonym(claim.reference, self._key, FIELD)
        except InvalidArgument as refusal:
            if refusal.reason != "WRONG_AUDIENCE":
                raise
            raise FailedPrecondition(
                "the pseudonym service answered under another key than the consent key",
                "DOMAIN_KEY_MISMATCH",
            ) from None
        return Subject(tag, pseudonym, claim.audit_subject, claim.reference)

    def record_subject(self, reference: bytes) -> bytes:
        """The record subject of a stored consent; empty without a reference or past its expiry
        (a consent given before references were kept, or not touched for ~400 days)."""
        if not reference or tags.parse(reference).expired(self._clock()):
            return b""
        (subject,) = self._pseudonyms.report_subjects([reference])
        return subject
