"""A citizen's tagged pseudonym at the contacts service: checked alone, claimed together.

Every field that names a citizen carries a tagged pseudonym exactly as the pseudonym service
handed it out (shared/design/pseudonyms.md, "Issued, never self-made"). Each one is first
checked here on its own, against the tag keys the pseudonym service publishes: a tag that
verifies and has not expired, of the expected domain and key, an issued pseudonym (not a
stored reference) and, outside a read under a link grant, bound to no grant. So a bad subject
is refused alone, as INVALID_ARGUMENT naming its field, before it could fail the claim of the
others it was combined with. A claim (one call for many) spends each pseudonym and gives its
stored reference and the processing record's subject; the domain pseudonym ``P_d`` is that
stored reference decrypted with the domain's own key.

A claim call that fails for one pseudonym (one spent already) may have spent those before it
in the call. So the pseudonyms this process claimed are remembered until they expire
(:class:`RecentClaims`): one sent again is known before it is claimed, and never joins a
claim call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from stadskamer.client import DomainKey, decrypt_pseudonym
from stadskamer.common.errors import FailedPrecondition, InvalidArgument
from stadskamer.contacts.ports import PseudonymPort
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind, TaggedPseudonym


@dataclass(frozen=True)
class Checked:
    """A tagged pseudonym that passed the local checks, for ``domain``."""

    tagged: bytes
    domain: str
    tag: TaggedPseudonym
    use_key: bytes  # what single use is keyed on (the tag's message hash)


@dataclass(frozen=True)
class Claimed:
    """A claimed subject: the domain pseudonym, the stored reference, the record's subject."""

    pseudonym: bytes
    reference: bytes
    audit_subject: bytes


class RecentClaims:
    """The use keys of the tagged pseudonyms claimed in this process, each until it expires
    (an issued one within minutes); at most ``limit``, the oldest forgotten first."""

    def __init__(self, limit: int = 500_000) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._until: dict[bytes, int] = {}

    def add(self, claimed: Iterable[Checked]) -> None:
        """Remember these as claimed."""
        with self._lock:
            for item in claimed:
                self._until[item.use_key] = item.tag.not_after_ms
            if len(self._until) > self._limit:
                self._prune()

    def __contains__(self, item: Checked) -> bool:
        with self._lock:
            return self._until.get(item.use_key, -1) >= _now_ms()

    def _prune(self) -> None:
        now = _now_ms()
        self._until = {k: until for k, until in self._until.items() if until >= now}
        for key in list(self._until)[: max(0, len(self._until) - self._limit)]:
            del self._until[key]


def _now_ms() -> int:
    return int(time.time() * 1000)


class Subjects:
    """Checks, claims and later names citizens through the pseudonym port and domain keys."""

    def __init__(self, pseudonyms: PseudonymPort, keys: Mapping[str, DomainKey]) -> None:
        self._pseudonyms = pseudonyms
        self._keys = dict(keys)
        self._recent = RecentClaims()

    def claimed_here(self, checked: Checked) -> bool:
        """Whether this process claimed ``checked`` already (it is spent)."""
        return checked in self._recent

    def verify(self, tagged: bytes, field: str) -> TaggedPseudonym:
        """The tag of ``tagged`` if it verifies and has not expired; else INVALID_ARGUMENT."""
        return self._pseudonyms.verify(tagged, field)

    def check(self, tagged: bytes, domain: str, field: str = "subject") -> Checked:
        """``tagged`` as an issued pseudonym of ``domain`` bound to no link grant."""
        return self.issued(tagged, self.verify(tagged, field), domain, field)

    def issued(self, tagged: bytes, tag: TaggedPseudonym, domain: str, field: str) -> Checked:
        """A verified ``tag`` as an issued pseudonym of ``domain``, bound to no link grant
        (a pseudonym converted under a grant is read with that grant only)."""
        if tag.grant_id or tag.requester:
            raise InvalidArgument.for_field(
                field, "bound to a link grant: give it with that grant", "GRANT_BOUND_PSEUDONYM"
            )
        return self.of_domain(tagged, tag, domain, field)

    def of_domain(self, tagged: bytes, tag: TaggedPseudonym, domain: str, field: str) -> Checked:
        """A verified ``tag`` as an encrypted pseudonym of ``domain`` under its current key."""
        key = self._keys.get(domain)
        if key is None or tag.audience != domain:
            raise InvalidArgument.for_field(
                field, f"not a pseudonym of domain {domain}", "WRONG_AUDIENCE"
            )
        if tag.kind is not Kind.ENCRYPTED:
            raise InvalidArgument.for_field(field, "not an issued pseudonym", "TAG_KIND_REFUSED")
        public_key = tag.parsed_ciphertext().public_key
        if tag.key_version != key.key_version or public_key != key.public_key:
            raise InvalidArgument.for_field(
                field, "not under this domain's current key", "WRONG_PUBLIC_KEY"
            )
        return Checked(tagged, domain, tag, tag.use_key())

    def claim(self, checked: Sequence[Checked]) -> list[Claimed]:
        """Claim every checked subject in one call (none: no call), in order."""
        if not checked:
            return []
        claims = self._pseudonyms.claim_many([(c.tagged, c.domain) for c in checked])
        self._recent.add(checked)
        return [
            Claimed(self._decrypt(claim.reference, c.domain), claim.reference, claim.audit_subject)
            for c, claim in zip(checked, claims, strict=True)
        ]

    def report(self, reference: bytes | None, now: datetime) -> bytes:
        """The processing-record subject of a stored reference, or empty when there is none
        (an anonymous contact) or it has expired (after ~400 days)."""
        if reference is None or tags.parse(reference).expired(now):
            return b""
        return self._pseudonyms.report_subjects([reference])[0]

    def _decrypt(self, reference: bytes, domain: str) -> bytes:
        try:
            return decrypt_pseudonym(reference, self._keys[domain])
        except InvalidArgument:
            raise FailedPrecondition(
                "the pseudonym service answered under another key than this domain's key",
                "DOMAIN_KEY_MISMATCH",
            ) from None
