"""Plain rules of the history view: what an item is, what allowed it, how items are merged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

DEFAULT_WINDOW = timedelta(days=90)
DEFAULT_MAX_ITEMS = 100
MAX_ITEMS = 500


class BasisKind(Enum):
    """What allowed a domain's data into the view."""

    OWN_DOMAIN = "own-domain"
    CONSENT = "consent"
    LEGAL_BASIS = "legal-basis"


@dataclass(frozen=True)
class Basis:
    """The basis of one consulted domain: own domain, a consent, or a policy rule."""

    kind: BasisKind
    consent: str = ""
    policy_rule: str = ""
    legal_basis: str = ""


OWN_DOMAIN = Basis(BasisKind.OWN_DOMAIN)


class ItemKind(Enum):
    """The kind of customer signal."""

    CONTACT = "contact"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class Source:
    """A domain the fan-out consults, and the kind of signal its service holds for it.

    For contacts the items are those since the query's start; for complaints also the ones
    still open, whatever their receive time (an agent must see a complaint that still runs).
    """

    domain: str
    kind: ItemKind


class ComplaintStatus(Enum):
    """Where a complaint is in its lifecycle (Awb chapter 9)."""

    RECEIVED = "received"
    IN_HANDLING = "in-handling"
    DECIDED = "decided"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ComplaintState:
    """Where one complaint stands: case number, status and both clocks. No text."""

    case_number: str
    status: ComplaintStatus
    callback_due: date
    callback_overdue: bool
    decision_due: date
    decision_overdue: bool


@dataclass(frozen=True)
class HistoryItem:
    """One signal of the citizen in one domain. No free text, no identifiers of the citizen.

    A complaint has no topic (empty) and carries its ``complaint`` state.
    """

    name: str
    occurred_at: datetime
    domain: str
    kind: ItemKind
    channel: int
    topic: str
    org_unit: str
    basis: Basis = OWN_DOMAIN
    complaint: ComplaintState | None = None


@dataclass(frozen=True)
class HistoryQuery:
    """Who asks about which citizen, for what, over which period."""

    subject: bytes
    requester_domain: str
    purpose: str
    start: datetime
    max_items: int = DEFAULT_MAX_ITEMS


@dataclass(frozen=True)
class History:
    """The merged answer."""

    items: list[HistoryItem]
    consulted: list[tuple[str, Basis]]
    truncated: bool


def merge(
    per_domain: list[list[HistoryItem]], consulted: list[tuple[str, Basis]], max_items: int
) -> History:
    """Newest first across domains, cut at ``max_items``."""
    items = sorted(
        (item for items in per_domain for item in items),
        key=lambda item: (item.occurred_at, item.name),
        reverse=True,
    )
    ordered = sorted(consulted, key=lambda entry: entry[0])
    return History(items[:max_items], ordered, len(items) > max_items)
