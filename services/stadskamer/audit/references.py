"""A record's reference as the log keeps it: keyed, so it equals nothing a domain store holds.

Services name what a processing produced or used (``contacts/<id>``, ``complaints/<id>``,
``consents/<id>``, ``link-grants/<id>``, ...): identifiers that a domain's store holds as they
are. The log must not be the join table between those stores (issue 14, "Note on the
processing log"), so it keeps such a reference as ``keyed:`` and the 64 hex digits of
``HMAC-SHA256(k_d, reference)``, where ``k_d`` is derived from the audit domain's secret key
``y_audit`` per domain ``d`` of the record (its target domain: the domain whose data was
processed; without one its requester domain). No domain holds ``y_audit``, so none can compute
the keyed form from what it stores; the same reference of two domains is kept under two
different values.

A count is no identifier and is kept as it is: a whole number (a pruned prefix size, a page's
length) or ``citizens=N`` (how many citizens an unfiltered list showed). The privacy officer
finds records by a reference they give: :meth:`ReferenceKeys.forms` keys it as it would have
been kept for each domain of the log. Plain Python: no gRPC, no SQL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from stadskamer.audit.domain import ProcessingEntry
from stadskamer.common.references import KeyedDigest

KEYED_PREFIX = "keyed:"
LABEL = b"stadskamer/audit/reference/v1/"
_CACHED_DOMAINS = 256
_COUNT = re.compile(r"(?:citizens=)?[0-9]+")


def key_domain(entry: ProcessingEntry) -> str:
    """The domain whose key the entry's reference is kept under."""
    return entry.target_domain or entry.requester_domain


def is_count(reference: str) -> bool:
    """Whether ``reference`` is a count (``N`` or ``citizens=N``), kept as it is."""
    return _COUNT.fullmatch(reference) is not None


class ReferenceKeys:
    """Keys references per domain under keys derived from ``y_audit``."""

    def __init__(self, audit_secret_key: bytes) -> None:
        self._secret = audit_secret_key
        self._digest = functools.lru_cache(maxsize=_CACHED_DOMAINS)(self._new_digest)

    def _new_digest(self, domain: str) -> KeyedDigest:
        return KeyedDigest(self._secret, LABEL + domain.encode("utf-8"))

    def kept(self, reference: str, domain: str) -> str:
        """The form in which the log keeps ``reference`` of a record of ``domain``."""
        if not reference or is_count(reference):
            return reference
        return KEYED_PREFIX + self._digest(domain).hex(reference)

    def forms(self, reference: str, domains: Iterable[str]) -> tuple[str, ...]:
        """Every form ``reference`` may be kept in by a record of one of ``domains``."""
        return tuple(sorted({self.kept(reference, domain) for domain in domains}))
