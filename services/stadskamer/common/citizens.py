"""What a domain service does with a citizen a request names: a tagged pseudonym in, P_d out.

Every field that takes a citizen carries a tagged pseudonym exactly as the pseudonym service
handed it out (shared/design/pseudonyms.md, "Issued, never self-made"). Its shape and audience
are checked locally first (:func:`tagged_violations`, :func:`audience_of`), so a pseudonym of
another domain is INVALID_ARGUMENT naming the field before anything is called or written.
:func:`claim` then has the pseudonym service claim it once (a second claim of the same bytes
is PERMISSION_DENIED ``TAG_SPENT``) and decrypts the stored reference it returns with the
domain key. The result, :class:`Citizen`, holds the three things a service keeps or records:
``P_d`` (the key of its rows), the stored reference (to name the citizen later, through
``report_subjects``, or to send a fresh copy of in an event) and the processing record's
subject (tagged ``audit/<domain>``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from stadskamer.client import Claim, DomainKey, decrypt_pseudonym
from stadskamer.common.errors import FailedPrecondition, InvalidArgument
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind

MAX_TAGGED_BYTES = tags.MAX_WIRE_BYTES


@dataclass(frozen=True)
class Citizen:
    """A claimed citizen: the domain pseudonym, its stored reference and the record subject."""

    pseudonym: bytes
    reference: bytes
    audit_subject: bytes


class Claims(Protocol):
    """The part of :class:`stadskamer.client.PseudonymClient` that claims."""

    def claim(self, tagged: bytes, domain: str) -> Claim:
        """Claim one tagged pseudonym of ``domain`` (the caller's own) once."""
        ...


def tagged_violations(
    field: str, raw: bytes, audiences: Collection[str], optional: bool = False
) -> Iterator[tuple[str, str]]:
    """Shape check: ``raw`` is a tagged encrypted pseudonym of one of ``audiences``."""
    if optional and not raw:
        return
    wanted = " or ".join(sorted(audiences))
    if len(raw) > MAX_TAGGED_BYTES:
        yield field, f"required: a tagged pseudonym of {wanted}"
        return
    try:
        parsed = tags.parse(raw)
    except tags.InvalidTagError:
        yield field, f"required: a tagged pseudonym of {wanted}"
        return
    if parsed.kind is Kind.POLYMORPHIC or parsed.audience not in audiences:
        yield field, f"a tagged pseudonym of {wanted}"


def audience_of(raw: bytes, field: str, audiences: Collection[str]) -> str:
    """The audience of a tagged pseudonym of one of ``audiences``; INVALID_ARGUMENT otherwise."""
    found = list(tagged_violations(field, raw, audiences))
    if found:
        name, description = found[0]
        reason = "UNTAGGED_PSEUDONYM" if description.startswith("required") else "WRONG_AUDIENCE"
        raise InvalidArgument.for_field(name, description, reason)
    return tags.parse(raw).audience


class Refreshes(Protocol):
    """What :func:`fresh_reference` needs of the pseudonym client."""

    def convert(self, tagged: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """``tagged`` converted (here: refreshed) into ``target_domain``."""
        ...


def fresh_reference(
    pseudonyms: Refreshes, reference: bytes | None, domain: str, now: datetime
) -> bytes | None:
    """A fresh rerandomization of a stored reference, to send in an event (a stored reference
    never leaves its domain as is); None when there is none or it has expired."""
    if reference is None or tags.parse(reference).expired(now):
        return None
    return pseudonyms.convert(reference, domain)


def claim(pseudonyms: Claims, tagged: bytes, key: DomainKey, field: str = "subject") -> Citizen:
    """Claim a tagged pseudonym of ``key.domain`` once and open it with the domain key.

    INVALID_ARGUMENT naming ``field`` for a pseudonym that is not one of this domain or that
    the pseudonym service refuses (expired, forged, the neutral element); PERMISSION_DENIED
    for one claimed before; UNAVAILABLE when the pseudonym service cannot be reached.
    """
    audience_of(tagged, field, (key.domain,))
    try:
        claimed = pseudonyms.claim(tagged, key.domain)
    except InvalidArgument as refusal:
        raise InvalidArgument.for_field(
            field, "not a pseudonym the pseudonym service converts", refusal.reason
        ) from None
    return _opened(claimed, key, field)


def _opened(claimed: Claim, key: DomainKey, field: str) -> Citizen:
    try:
        pseudonym = decrypt_pseudonym(claimed.reference, key, field)
    except InvalidArgument as refusal:
        if refusal.reason != "WRONG_AUDIENCE":
            raise
        raise FailedPrecondition(
            f"the pseudonym service answered under another key than the {key.domain} key",
            "DOMAIN_KEY_MISMATCH",
        ) from None
    return Citizen(pseudonym, claimed.reference, claimed.audit_subject)
