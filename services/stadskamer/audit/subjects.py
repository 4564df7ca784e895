"""The subject of a record or query: a tagged ``audit/<domain>`` pseudonym in, 32 bytes out.

The audit service converts nothing (it makes no Transcrypt call). A reporter sends the
subject exactly as the pseudonym service handed it out for the processing log: a tagged
encrypted pseudonym whose audience is ``audit/<reporting domain>``, encrypted under the audit
domain's public key (every ``audit/<d>`` shares the audit domain's rekey factor, so the one key
``y_audit`` decrypts them all, while each ``d`` has its own pseudonymisation factor). A
privacy officer's subject-access query carries one such pseudonym per reporting domain, issued
into ``audit``. Here the tag is verified with the pseudonym service's published tag keys, its
audience and key are checked, and the ciphertext is decrypted; a ciphertext the caller made
itself, a pseudonym of another audience and the neutral element are refused with
INVALID_ARGUMENT naming the field.

A record's subject may arrive after its tag's expiry (a report subject lives an hour): a
service that keeps its records in an outbox delivers them when the audit service is back,
and a refusal would stop its relay for good. Its signature is still verified, under a tag key
the pseudonym service publishes; only the expiry is not held against it. A query's subjects
are issued for that query and must be unexpired.
"""

from __future__ import annotations

from dataclasses import dataclass

from stadskamer import pep
from stadskamer.audit.ports import TagVerifier
from stadskamer.client import DomainKey
from stadskamer.common.errors import InvalidArgument
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind

AUDIT_DOMAIN = "audit"
TAG_EXPIRED = "TAG_EXPIRED"
REPORT_PREFIX = "audit/"


@dataclass(frozen=True)
class Subject:
    """A citizen as the log keeps them: the pseudonym of one reporting domain's audience."""

    pseudonym: bytes  # 32 bytes, the plaintext of the audit/<domain> ciphertext
    domain: str  # the reporting domain d of audit/<d>


class AuditSubjects:
    """Opens tagged ``audit/<domain>`` pseudonyms with the audit domain's key."""

    def __init__(self, verifier: TagVerifier, key: DomainKey) -> None:
        if key.domain != AUDIT_DOMAIN:
            raise ValueError("the audit service opens subjects with the audit domain's key")
        self._verifier = verifier
        self._key = key

    def open(self, tagged: bytes, field: str, late: bool = False) -> Subject:
        """The subject in ``tagged``, or INVALID_ARGUMENT naming ``field``; UNAVAILABLE while
        the pseudonym service's tag keys cannot be fetched (the first time). ``late``: a
        record's subject, whose expiry is not held against it (see the module docstring)."""
        try:
            tag = self._verifier.verify(tagged, field)
        except InvalidArgument as refusal:
            # TAG_EXPIRED is raised only once the key is known and the signature verified.
            if not (late and refusal.reason == TAG_EXPIRED):
                raise
            tag = tags.parse(tagged)
        domain = tag.audience.removeprefix(REPORT_PREFIX)
        if not tag.audience.startswith(REPORT_PREFIX) or not domain:
            raise InvalidArgument.for_field(
                field, "not a pseudonym for the processing log (audit/<domain>)", "WRONG_AUDIENCE"
            )
        if tag.kind is not Kind.ENCRYPTED:
            raise InvalidArgument.for_field(
                field, "an encrypted pseudonym for the processing log", "TAG_KIND_REFUSED"
            )
        ciphertext = tag.parsed_ciphertext()
        current = (self._key.public_key, self._key.key_version)
        if (ciphertext.public_key, tag.key_version) != current:
            raise InvalidArgument.for_field(
                field, "not under the audit domain's current key", "WRONG_PUBLIC_KEY"
            )
        try:
            pseudonym = pep.decrypt(ciphertext, self._key.secret_key)
        except pep.NeutralPlaintextError as error:
            raise InvalidArgument.for_field(field, "the neutral element", error.reason) from None
        return Subject(pseudonym, domain)
