"""One citizen's complaints: who may filter ListComplaints by citizen, and the record of it.

A caller acting for ``klachten`` (role coordinator) names the citizen by a polymorphic
pseudonym, which the pseudonym service converts to the klachten pseudonym. A caller of another
domain needs a link grant from the consent service (target ``klachten``, requester one of the
caller's domains, unexpired) and names the citizen by the encrypted klachten pseudonym that
the pseudonym service converted under that grant; it is opened with the klachten key. Either
way the read is recorded with the citizen, fail-closed, before the answer leaves: for a grant
with its purpose, basis and requester domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from stadskamer import pep
from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.complaints.domain import DOMAIN
from stadskamer.complaints.lifecycle import COORDINATOR_ROLES
from stadskamer.complaints.service import LEGAL_BASIS, PURPOSE, Dependencies

GRANT_READ_ROLES = ("agent", "coordinator", "system")
OPERATION = "complaints.list"


@dataclass(frozen=True)
class SubjectFilter:
    """The citizen as the request gave it: polymorphic, or encrypted (with a link grant)."""

    polymorphic: bytes = b""
    encrypted: bytes = b""
    link_grant: str = ""


def authorize(deps: Dependencies, caller: Principal, wanted: SubjectFilter) -> LinkGrant | None:
    """The link grant that opens the list, or None for a caller acting for klachten.

    Without a grant: domain ``klachten`` and role coordinator. With one: a role among
    agent, coordinator and system, and a valid grant for klachten issued to one of the
    caller's domains; otherwise PERMISSION_DENIED with the reason.
    """
    if not wanted.link_grant:
        caller.require_domain(DOMAIN)
        caller.require_role(*COORDINATOR_ROLES)
        return None
    caller.require_role(*GRANT_READ_ROLES)
    if not wanted.encrypted or wanted.polymorphic:
        raise InvalidArgument.for_field(
            "link_grant", "needs encrypted_subject (and no subject)", "LINK_GRANT_INCOMPLETE"
        )
    if deps.grant_key is None:
        raise PermissionDenied("this service does not honour link grants", "LINK_GRANT_NOT_TRUSTED")
    grant = link_grants.verify(wanted.link_grant, deps.grant_key, deps.clock())
    if grant.target_domain != DOMAIN:
        raise PermissionDenied("the link grant is for another domain", "LINK_GRANT_WRONG_TARGET")
    if grant.requester_domain not in caller.domains:
        raise PermissionDenied(
            "the link grant was issued to another requester", "LINK_GRANT_WRONG_REQUESTER"
        )
    return grant


def klachten_pseudonym(deps: Dependencies, wanted: SubjectFilter) -> bytes | None:
    """The klachten pseudonym to select by; None without a subject filter."""
    if wanted.polymorphic and wanted.encrypted:
        raise InvalidArgument.for_field("encrypted_subject", "not together with subject")
    if wanted.encrypted:
        return deps.subjects.open_encrypted(wanted.encrypted)
    if wanted.polymorphic:
        return deps.subjects.domain_pseudonym(wanted.polymorphic)
    return None


def record_read(
    deps: Dependencies,
    caller: Principal,
    grant: LinkGrant | None,
    wanted: SubjectFilter,
    pseudonym: bytes,
    count: int,
) -> None:
    """The processing record of one citizen's complaints read (fail-closed: Unavailable).

    The citizen goes to the audit service as a fresh rerandomization of the ciphertext the
    request carried: polymorphic, or encrypted for klachten.
    """
    fresh = pep.rerandomize(pep.Ciphertext.from_bytes(wanted.polymorphic or wanted.encrypted))
    deps.processing_log.append(
        ProcessingRecord.now(
            OPERATION,
            "OK",
            deps.clock,
            purpose=grant.purpose if grant else PURPOSE,
            legal_basis="" if grant else LEGAL_BASIS,
            actor=caller.subject[:255],
            requester_domain=grant.requester_domain if grant else DOMAIN,
            target_domain=DOMAIN,
            basis=grant.basis if grant else "",
            subject=pseudonym.hex(),
            reference=str(count),
            subject_polymorphic=fresh.to_bytes() if wanted.polymorphic else b"",
            subject_encrypted=b"" if wanted.polymorphic else fresh.to_bytes(),
            subject_domain="" if wanted.polymorphic else DOMAIN,
        )
    )
