"""Invitations and the rules that decide whether a citizen is invited.

Plain Python: no gRPC, no SQL. A citizen is the 32-byte ``onderzoek`` domain pseudonym. The
rules, in the order they are applied (the first that says no names the skip reason):

1. an anonymous contact is never surveyed;
2. the channel (sampling rate 0) or the topic (not in the configured list) is not surveyed;
3. a citizen who objected (AVG art. 21, ``survey-opt-out``) is never invited;
4. the channel's sampling rate: a deterministic draw per trigger (see :class:`Sampler`);
5. survey fatigue: at most one invitation per citizen per ``fatigue_days`` days.

The response token is single-use and unguessable (``secrets.token_urlsafe(32)``: 256 random
bits); only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from stadskamer.common.errors import FailedPrecondition

DOMAIN = "onderzoek"
INVITATION_PREFIX = "invitations/"
DEFAULT_FATIGUE_DAYS = 30
DEFAULT_TOKEN_DAYS = 30
TOKEN_BYTES = 32


class Channel(IntEnum):
    """The channel; the numbers are those of ``stadskamer.common.v1.Channel``."""

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

    @property
    def code(self) -> str:
        """The configuration code, e.g. ``web-form``."""
        return self.name.lower().replace("_", "-")


CHANNEL_CODES = {channel.code: channel for channel in Channel}


class TriggerKind(IntEnum):
    """What an invitation follows (numbers of ``TriggerKind``)."""

    CONTACT = 1
    COMPLAINT = 2
    PRODUCT = 3


class Outcome(IntEnum):
    """A complaint's outcome (numbers of ``stadskamer.complaints.v1.Outcome``)."""

    FOUNDED = 1
    PARTLY_FOUNDED = 2
    UNFOUNDED = 3
    NOT_HANDLED = 4


class DeliveryStatus(IntEnum):
    """Where an invitation is (numbers of ``DeliveryStatus``)."""

    AWAITING_ADDRESS = 1
    PENDING_DELIVERY = 2
    DELIVERED = 3
    RESPONDED = 4
    CANCELLED = 5
    EXPIRED = 6


class AddressKind(IntEnum):
    """How a message reaches a citizen (numbers of ``AddressKind``)."""

    EMAIL = 1
    SMS = 2


class SkipReason(IntEnum):
    """Why no invitation was made (numbers of ``SkipReason``)."""

    ANONYMOUS = 1
    OBJECTED = 2
    FATIGUE = 3
    NOT_SAMPLED = 4
    NOT_ELIGIBLE = 5
    LINK_DENIED = 6


@dataclass(frozen=True)
class Context:
    """What an invitation follows and what the analysis groups by (no personal data)."""

    trigger: TriggerKind
    channel: Channel
    topic: str
    org_unit: str
    complaint_outcome: Outcome | None = None


@dataclass(frozen=True)
class Invitation:
    """One invitation. ``token_expires_at`` is set once a token was handed out for delivery."""

    id: str
    subject: bytes
    context: Context
    status: DeliveryStatus
    created_at: datetime
    address_kind: AddressKind | None = None
    delivered_at: datetime | None = None
    token_expires_at: datetime | None = None
    responded_at: datetime | None = None

    @property
    def name(self) -> str:
        """The resource name ``invitations/{id}``."""
        return INVITATION_PREFIX + self.id

    def status_at(self, now: datetime) -> DeliveryStatus:
        """The status, EXPIRED for a delivered invitation past its token's expiry."""
        expires = self.token_expires_at
        if self.status is DeliveryStatus.DELIVERED and expires is not None and now >= expires:
            return DeliveryStatus.EXPIRED
        return self.status


@dataclass(frozen=True)
class Objection:
    """A citizen's objection to surveys (AVG art. 21): in force while ``withdrawn_at`` is None."""

    objected_at: datetime
    withdrawn_at: datetime | None = None


def new_token() -> str:
    """A fresh response token: 32 random bytes, unpadded base64url (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    """What is stored of a token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def require_answerable(invitation: Invitation, now: datetime) -> None:
    """FAILED_PRECONDITION with a clear reason unless the invitation's token may answer now."""
    status = invitation.status_at(now)
    if status is DeliveryStatus.RESPONDED:
        raise FailedPrecondition(
            "this survey link has been used already; a survey can be answered once",
            "TOKEN_USED",
        )
    if status is DeliveryStatus.EXPIRED:
        raise FailedPrecondition(
            "this survey link has expired: answers are accepted for a limited time after "
            "the invitation was sent",
            "TOKEN_EXPIRED",
        )
    if status is DeliveryStatus.CANCELLED:
        raise FailedPrecondition(
            "this survey was withdrawn because you objected to surveys", "INVITATION_CANCELLED"
        )
    if status is not DeliveryStatus.DELIVERED:
        raise FailedPrecondition("this survey link is not active", "TOKEN_NOT_ACTIVE")


class Sampler:
    """A deterministic draw per trigger: the same trigger always draws the same number.

    ``draw(key)`` is the first 8 bytes of HMAC-SHA256(seed, key) as a fraction of 2**64, so a
    redelivered event or a retried request is sampled alike, tests are stable with a fixed
    seed, and nobody without the seed can predict who is sampled.
    """

    def __init__(self, seed: bytes) -> None:
        self._seed = seed

    def draw(self, key: str) -> float:
        """A number in [0, 1) for ``key``."""
        return int.from_bytes(self._digest(key)[:8], "big") / 2**64

    def generator(self, key: str) -> random.Random:
        """A random generator seeded by the seed and ``key`` (e.g. one panel draw)."""
        return random.Random(self._digest(key))

    def _digest(self, key: str) -> bytes:
        return hmac.new(self._seed, key.encode("utf-8"), hashlib.sha256).digest()


@dataclass(frozen=True)
class InvitationRules:
    """The configured rules. ``topics`` empty: every topic is surveyed."""

    fatigue_days: int = DEFAULT_FATIGUE_DAYS
    sampling_rates: Mapping[Channel, float] = field(default_factory=dict)
    topics: frozenset[str] = frozenset()

    def rate(self, channel: Channel) -> float:
        """The channel's sampling rate (1.0 when not configured)."""
        return self.sampling_rates.get(channel, 1.0)

    def fatigue_cutoff(self, now: datetime) -> datetime:
        """An earlier invitation at or after this moment blocks a new one."""
        return now - timedelta(days=self.fatigue_days)


def screen(
    rules: InvitationRules,
    context: Context,
    anonymous: bool,
    objected: bool,
    draw: float,
    last_invited_at: datetime | None,
    now: datetime,
) -> SkipReason | None:
    """Apply the rules in order; the first reason to skip, or None to invite."""
    if anonymous:
        return SkipReason.ANONYMOUS
    rate = rules.rate(context.channel)
    if rate <= 0.0 or (rules.topics and context.topic not in rules.topics):
        return SkipReason.NOT_ELIGIBLE
    if objected:
        return SkipReason.OBJECTED
    if draw >= rate:
        return SkipReason.NOT_SAMPLED
    if last_invited_at is not None and last_invited_at > rules.fatigue_cutoff(now):
        return SkipReason.FATIGUE
    return None
