"""Reading another domain's contacts under a link grant: bound to its citizen, used once.

A caller that does not act for a domain reads one citizen's contacts there with a link grant
from the consent service and the tagged pseudonym the pseudonym service converted under that
grant (issue 14: "A grant for citizen A opened citizen B", "the same grant also worked
twice"). Beyond the grant's signature and expiry: the grant must name the queried domain as
its target, one of the caller's domains as requester and the caller as its presenter; the
pseudonym's tag must name this grant, its requester, and the queried domain as audience. So
only the pseudonym converted under this grant, for this citizen, opens anything. The grant is
honoured once here (a digest of its id, keyed with the domain's key, is kept until the grant
expires, then deleted) and the pseudonym once centrally (the caller claims it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadskamer.client import DomainKey
from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.common.references import KeyedDigest
from stadskamer.contacts.adapters.repository import SpentGrantRepository
from stadskamer.contacts.subjects import Checked, Subjects
from stadskamer.pep.tags import TaggedPseudonym

FIELD = "encrypted_subject"
_DIGEST_KEY = b"stadskamer/contacts/spent-link-grant/v1"


def check_bound(caller: Principal, domain: str, grant: LinkGrant, tag: TaggedPseudonym) -> None:
    """PERMISSION_DENIED unless ``grant`` lets ``caller`` read ``domain`` for the citizen of
    ``tag``, a pseudonym converted under exactly that grant."""
    if grant.target_domain != domain:
        raise PermissionDenied("the link grant is for another domain", "LINK_GRANT_WRONG_TARGET")
    if grant.requester_domain not in caller.domains:
        raise PermissionDenied(
            "the link grant was issued to another requester", "LINK_GRANT_WRONG_REQUESTER"
        )
    if not grant.presenter or grant.presenter != caller.subject:
        raise PermissionDenied(
            "the link grant was issued to another presenter", "LINK_GRANT_WRONG_PRESENTER"
        )
    if (tag.grant_id, tag.requester, tag.audience) != (
        grant.grant_id,
        grant.requester_domain,
        domain,
    ):
        raise PermissionDenied(
            "the pseudonym was not converted under this link grant", "LINK_GRANT_WRONG_SUBJECT"
        )


class GrantedReads:
    """Opens a read under a link grant (``write_guard``: see ContactsService)."""

    def __init__(
        self,
        grant_key: Ed25519PublicKey | None,
        subjects: Subjects,
        keys: Mapping[str, DomainKey],
        unit_of_work: Callable[[], UnitOfWork],
        write_guard: AbstractContextManager[object],
        clock: Callable[[], datetime],
    ) -> None:
        self._grant_key = grant_key
        self._subjects = subjects
        self._digests = {d: KeyedDigest(k.secret_key, _DIGEST_KEY) for d, k in keys.items()}
        self._unit_of_work = unit_of_work
        self._write_guard = write_guard
        self._clock = clock

    def open(
        self, caller: Principal, domain: str, tagged: bytes, token: str
    ) -> tuple[LinkGrant, Checked]:
        """The verified grant and its checked pseudonym, with the grant spent here."""
        if self._grant_key is None:
            raise PermissionDenied(
                "this service does not honour link grants", "LINK_GRANT_NOT_TRUSTED"
            )
        grant = link_grants.verify(token, self._grant_key, self._clock())
        tag = self._subjects.verify(tagged, FIELD)
        check_bound(caller, domain, grant, tag)
        checked = self._subjects.of_domain(tagged, tag, domain, FIELD)
        self._spend(grant, domain)
        return grant, checked

    def _spend(self, grant: LinkGrant, domain: str) -> None:
        digest = self._digests[domain].digest(grant.grant_id)
        with self._write_guard, self._unit_of_work() as uow:
            spent = SpentGrantRepository(uow.session)
            if not spent.spend(digest, grant.expires_at):
                raise PermissionDenied(
                    "the link grant has been used already", "LINK_GRANT_REPLAYED"
                )
            spent.prune(self._clock())
            uow.commit()
