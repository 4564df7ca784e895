"""One citizen's complaints: who may filter ListComplaints by citizen, and the record of it.

A caller acting for ``klachten`` (role coordinator) names the citizen in ``subject`` by a
tagged klachten pseudonym issued for the request, which is claimed (once) to give the
klachten pseudonym and the record's subject. A caller of another domain presents a link grant
of the consent service and, in ``encrypted_subject``, the tagged klachten pseudonym that the
pseudonym service produced under that grant: the grant must be authentic, unexpired, for
klachten, issued to one of the caller's domains and presented by the caller it names; the
pseudonym's tag must name exactly that grant and its requester. The pseudonym is then claimed
(single use centrally) and the grant spent here too (a local row kept until the grant
expires), so neither reads twice. Either way the read is recorded with the citizen,
fail-closed, before the answer leaves; a read under a grant names the grant, its purpose,
basis and requester domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from stadskamer.common import citizens, link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.citizens import Citizen
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.complaints.domain import DOMAIN
from stadskamer.complaints.lifecycle import COORDINATOR_ROLES
from stadskamer.complaints.service import LEGAL_BASIS, PURPOSE, Dependencies

GRANT_READ_ROLES = ("agent", "coordinator", "system")
OPERATION = "complaints.list"
ENCRYPTED = "encrypted_subject"


@dataclass(frozen=True)
class SubjectFilter:
    """The citizen as the request gave it: for klachten itself, or under a link grant."""

    subject: bytes = b""
    encrypted: bytes = b""
    link_grant: str = ""

    @property
    def given(self) -> bool:
        """Whether the request names a citizen at all."""
        return bool(self.subject or self.encrypted)


def authorize(deps: Dependencies, caller: Principal, wanted: SubjectFilter) -> LinkGrant | None:
    """The link grant that opens the list, or None for a caller acting for klachten.

    Without a grant: domain ``klachten`` and role coordinator. With one: a role among
    agent, coordinator and system, and a grant that fits the caller and the presented
    pseudonym; otherwise PERMISSION_DENIED with the reason. Nothing is claimed or written.
    """
    if wanted.encrypted and not wanted.link_grant:
        raise InvalidArgument.for_field(ENCRYPTED, "only with link_grant; use subject otherwise")
    if not wanted.link_grant:
        caller.require_domain(DOMAIN)
        caller.require_role(*COORDINATOR_ROLES)
        return None
    caller.require_role(*GRANT_READ_ROLES)
    if not wanted.encrypted or wanted.subject:
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
    if grant.presenter != caller.subject:
        raise PermissionDenied(
            "the link grant was issued to another presenter", "LINK_GRANT_WRONG_PRESENTER"
        )
    citizens.audience_of(wanted.encrypted, ENCRYPTED, (DOMAIN,))
    tag = deps.pseudonyms.verify(wanted.encrypted, ENCRYPTED)
    if tag.grant_id != grant.grant_id or tag.requester != grant.requester_domain:
        raise PermissionDenied(
            "the pseudonym was not produced under this link grant", "LINK_GRANT_WRONG_SUBJECT"
        )
    return grant


def citizen(deps: Dependencies, wanted: SubjectFilter) -> Citizen | None:
    """The citizen to select by, claimed (once); None without a subject filter."""
    if wanted.encrypted:
        return citizens.claim(deps.pseudonyms, wanted.encrypted, deps.key, ENCRYPTED)
    if wanted.subject:
        return citizens.claim(deps.pseudonyms, wanted.subject, deps.key)
    return None


def read_record(
    deps: Dependencies, caller: Principal, grant: LinkGrant | None, who: Citizen, count: int
) -> ProcessingRecord:
    """The processing record of one citizen's complaints read (append it before answering)."""
    return ProcessingRecord.now(
        OPERATION,
        "OK",
        deps.clock,
        purpose=grant.purpose if grant else PURPOSE,
        legal_basis="" if grant else LEGAL_BASIS,
        actor=caller.subject[:255],
        requester_domain=grant.requester_domain if grant else DOMAIN,
        target_domain=DOMAIN,
        basis=grant.basis if grant else "",
        reference=f"link-grants/{grant.grant_id}" if grant else str(count),
        subject_tagged=who.audit_subject,
    )
