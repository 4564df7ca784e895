"""The history use case: ask for grants, convert, fan out, merge; keep nothing.

The subject is a tagged pseudonym of the requester's own domain, as the edge had it issued.
The own domain's service gets it as is (and claims it); for every other domain the consent
service issues a link grant bound to exactly those bytes and to the caller, the pseudonym
service converts the same bytes under it, and the domain's service reads with the converted
pseudonym and the grant, once. Only claims spend a tagged pseudonym, so one subject serves
the whole fan-out. Every peer is called with the caller's own token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument
from stadskamer.common.processing_log import ProcessingLog, ProcessingRecord
from stadskamer.gateway.history.domain import (
    MAX_ITEMS,
    OWN_DOMAIN,
    Basis,
    History,
    HistoryItem,
    HistoryQuery,
    Source,
    merge,
)
from stadskamer.gateway.history.ports import Peers
from stadskamer.pep import tags

READ_ROLES = ("agent", "coordinator", "system")


class HistoryService:
    """Assembles a citizen's permitted history over the sources: domains holding signals."""

    def __init__(
        self,
        sources: Sequence[Source],
        processing_log: ProcessingLog,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        parallelism: int = 8,
    ) -> None:
        self._sources = tuple(sources)
        self._processing_log = processing_log
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="history")

    def close(self) -> None:
        """Stop the fan-out threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def get_history(self, caller: Principal, query: HistoryQuery, peers: Peers) -> History:
        """The permitted history; domains without a grant are neither queried nor named."""
        caller.require_domain(query.requester_domain)
        caller.require_role(*READ_ROLES)
        if not 0 < query.max_items <= MAX_ITEMS:
            raise InvalidArgument.for_field("max_items", f"between 1 and {MAX_ITEMS}")
        _check_subject(query)
        results = list(self._pool.map(lambda s: self._consult(s, query, peers), self._sources))
        consulted = [(domain, basis) for domain, basis, _ in results if basis is not None]
        history = merge([items for _, _, items in results], consulted, query.max_items)
        self._processing_log.append(
            ProcessingRecord.now(
                "history.read",
                "OK",
                self._clock,
                actor=caller.subject,
                requester_domain=query.requester_domain,
                purpose=query.purpose,
                basis=",".join(sorted(domain for domain, _ in consulted)),
                reference=str(len(history.items)),
            )
        )
        return history

    def _consult(
        self, source: Source, query: HistoryQuery, peers: Peers
    ) -> tuple[str, Basis | None, list[HistoryItem]]:
        domain = source.domain
        if domain == query.requester_domain:
            items = peers.own_items(source, query.subject, query.start, query.max_items)
            return domain, OWN_DOMAIN, items
        grant = peers.issue_link_grant(query.subject, query.purpose, query.requester_domain, domain)
        if grant is None:
            return domain, None, []
        encrypted = peers.convert(query.subject, domain, grant.token)
        items = peers.linked_items(source, encrypted, grant.token, query.start, query.max_items)
        return domain, grant.basis, [replace(item, basis=grant.basis) for item in items]


def _check_subject(query: HistoryQuery) -> None:
    """The subject is a tagged pseudonym of the requester's domain (its tag is checked by the
    services it reaches)."""
    try:
        audience = tags.parse(query.subject).audience
    except tags.InvalidTagError as error:
        raise InvalidArgument.for_field(
            "subject", "a tagged pseudonym from the pseudonym service", error.reason
        ) from None
    if audience != query.requester_domain:
        raise InvalidArgument.for_field(
            "subject", "a pseudonym of the requester domain", "WRONG_AUDIENCE"
        )
