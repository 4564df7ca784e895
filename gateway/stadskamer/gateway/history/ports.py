"""What the history use case needs from other services, bound to the caller's identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from stadskamer.gateway.history.domain import Basis, HistoryItem, Source


@dataclass(frozen=True)
class Grant:
    """A link grant issued by the consent service, with what allowed it."""

    token: str
    basis: Basis


class Peers(Protocol):
    """The services the fan-out calls, all as the calling user."""

    def issue_link_grant(
        self, subject: bytes, purpose: str, requester_domain: str, target_domain: str
    ) -> Grant | None:
        """A grant for the link, or None when the consent service denies it."""

    def convert(self, subject: bytes, target_domain: str, link_grant: str) -> bytes:
        """The tagged pseudonym of ``target_domain`` for ``subject``, bound to the grant."""

    def own_items(
        self, source: Source, subject: bytes, start: datetime, limit: int
    ) -> list[HistoryItem]:
        """Items of the caller's own domain for its tagged pseudonym (see :class:`Source`
        for which items count from ``start``)."""

    def linked_items(
        self, source: Source, encrypted_subject: bytes, link_grant: str, start: datetime, limit: int
    ) -> list[HistoryItem]:
        """Items of another domain for its grant-bound tagged pseudonym, under the grant."""
