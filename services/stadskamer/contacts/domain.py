"""The contact register's rules: what a valid contact is, and when a contact is a repeat.

Plain Python: no gRPC, no SQL. A contact's subject is the domain pseudonym (32 bytes) of the
domain that registered it, so the repeat rule links contacts within one domain only. Field
names in errors are those of the public contract; no message contains personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from stadskamer.common.errors import FieldViolation, InvalidArgument

DEFAULT_DOMAINS = ("kcc", "burgerzaken", "sociale-zaken", "belastingen")
DEFAULT_TOPICS = (
    "afval",
    "afvalstoffenheffing",
    "belastingaanslag",
    "bijzondere-bijstand",
    "energietoeslag",
    "huwelijk",
    "id-kaart",
    "jeugdzorg",
    "kwijtschelding",
    "openbare-ruimte",
    "overig",
    "overlast",
    "parkeervergunning",
    "paspoort",
    "rijbewijs",
    "schuldhulp",
    "uitkering",
    "uittreksel",
    "verhuizing",
    "wmo",
    "woz-waarde",
)
DEFAULT_WINDOW_DAYS = 7
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)
MAX_SUMMARY_CHARS = 2000
EARLIEST_OCCURRED_AT = datetime(2000, 1, 1, tzinfo=UTC)
# The longest wire form of a tagged pseudonym (stadskamer.pep.tags): every text field full.
MAX_SUBJECT_BYTES = 2 + 96 + 5 * (2 + 255) + 8 + 64
REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class Channel(IntEnum):
    """The channel of a contact; the numbers are those of ``stadskamer.common.v1.Channel``."""

    COUNTER = 1
    PHONE = 2
    EMAIL = 3
    WEB_FORM = 4
    CHAT = 5
    WHATSAPP = 6
    SOCIAL_MEDIA = 7
    LETTER = 8
    VIDEO = 9
    RECEPTION = 10


@dataclass(frozen=True)
class RepeatSignal:
    """Whether a contact repeats earlier contacts of the same subject in the same domain."""

    previous_contacts: int = 0
    same_topic: bool = False
    last_contact_at: datetime | None = None
    channels: tuple[Channel, ...] = ()
    window_days: int = DEFAULT_WINDOW_DAYS

    @property
    def is_repeat(self) -> bool:
        """At least one earlier contact within the window."""
        return self.previous_contacts > 0


@dataclass(frozen=True)
class PriorContact:
    """What the repeat rule needs of an earlier contact of the same subject and domain."""

    occurred_at: datetime
    topic: str
    channel: Channel


@dataclass(frozen=True)
class Draft:
    """A contact as the caller describes it; ``subject`` is a tagged pseudonym of ``domain``
    (as the pseudonym service issued it) or empty."""

    request_id: str
    domain: str
    subject: bytes
    channel: int
    topic: str
    org_unit: str
    occurred_at: datetime
    resolved_first_time: bool
    summary: str = ""


@dataclass(frozen=True)
class Contact:
    """A registered contact. ``subject`` is the domain pseudonym (None: anonymous).

    ``request_id`` is the caller's, in the answer to its registration (and to a retry); it is
    not stored, so a contact read back has none."""

    id: str
    domain: str
    request_id: str
    subject: bytes | None
    channel: Channel
    topic: str
    org_unit: str
    occurred_at: datetime
    resolved_first_time: bool
    summary: str
    created_at: datetime
    repeat: RepeatSignal = field(default_factory=RepeatSignal)


def repeat_signal(
    topic: str, occurred_at: datetime, window_days: int, earlier: Iterable[PriorContact]
) -> RepeatSignal:
    """The repeat rule: earlier contacts with ``occurred_at - window <= t <= occurred_at``.

    ``earlier`` are contacts of the same subject in the same domain that were registered
    before this one (the caller selects them); any outside the window is ignored.
    """
    start = occurred_at - timedelta(days=window_days)
    within = [p for p in earlier if start <= p.occurred_at <= occurred_at]
    if not within:
        return RepeatSignal(window_days=window_days)
    return RepeatSignal(
        previous_contacts=len(within),
        same_topic=any(p.topic == topic for p in within),
        last_contact_at=max(p.occurred_at for p in within),
        channels=tuple(sorted({p.channel for p in within})),
        window_days=window_days,
    )


@dataclass(frozen=True)
class ContactPolicy:
    """The deployment's configuration of the register: domains, windows, topics, skew."""

    domains: tuple[str, ...] = DEFAULT_DOMAINS
    topics: frozenset[str] = frozenset(DEFAULT_TOPICS)
    windows: Mapping[str, int] = field(default_factory=dict)
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW

    def window_days(self, domain: str) -> int:
        """The repeat window of a domain in days (default 7)."""
        return self.windows.get(domain, DEFAULT_WINDOW_DAYS)

    def require_served(self, domain: str, field_name: str = "domain") -> None:
        """INVALID_ARGUMENT unless this service keeps contacts of ``domain``."""
        if domain not in self.domains:
            raise InvalidArgument.for_field(
                field_name, "not a domain served by this service", "UNKNOWN_DOMAIN"
            )

    def check(self, draft: Draft, now: datetime) -> None:
        """Raise INVALID_ARGUMENT naming every field of ``draft`` that breaks a rule."""
        problems = list(self.violations(draft, now))
        if problems:
            names = ", ".join(name for name, _ in problems)
            raise InvalidArgument(
                f"invalid contact: {names}",
                "INVALID_CONTACT",
                violations=[FieldViolation(name, text) for name, text in problems],
            )

    def violations(self, draft: Draft, now: datetime) -> Iterable[tuple[str, str]]:
        """The (field, description) pairs of every broken rule; empty when valid."""
        shape = shape_violations(draft)
        yield from shape
        flagged = {name for name, _ in shape}
        if "domain" not in flagged and draft.domain not in self.domains:
            yield "domain", "not a domain served by this service"
        if "topic" not in flagged and draft.topic not in self.topics:
            yield "topic", "not a topic of this deployment"
        if "occurred_at" not in flagged and draft.occurred_at > now + self.clock_skew:
            minutes = int(self.clock_skew.total_seconds() // 60)
            yield "occurred_at", f"lies in the future (more than {minutes} minutes ahead)"


def shape_violations(draft: Draft) -> Sequence[tuple[str, str]]:
    """Rules that need no configuration: presence, lengths, patterns, known channel."""
    found: list[tuple[str, str]] = []
    if not REQUEST_ID.match(draft.request_id):
        found.append(("request_id", "1 to 128 printable ASCII characters without spaces"))
    if not draft.domain:
        found.append(("domain", "required"))
    if len(draft.subject) > MAX_SUBJECT_BYTES:
        found.append(("subject", "a tagged pseudonym as issued, or empty"))
    if draft.channel not in Channel.__members__.values():
        found.append(("channel", "required: one of the Channel values"))
    if not CODE.match(draft.topic):
        found.append(("topic", "a topic code: lowercase letters, digits, '-', '_' or '.'"))
    if not CODE.match(draft.org_unit):
        found.append(("org_unit", "1 to 64 of lowercase letters, digits, '-', '_' or '.'"))
    if draft.occurred_at < EARLIEST_OCCURRED_AT:
        found.append(("occurred_at", "required, and not before the year 2000"))
    if len(draft.summary) > MAX_SUMMARY_CHARS:
        found.append(("summary", f"at most {MAX_SUMMARY_CHARS} characters"))
    return found
