"""The research panel: members, their self-declared strata, and the draw's input rules.

Plain Python. A member is stored under the onderzoek pseudonym with four strata; the contact
address is sealed under the member's own data key (see :mod:`stadskamer.surveys.sealing`).
A member drawn for a study rests for ``rest_days`` before being drawn again. A member whose
research-panel consent is no longer active leaves the panel: the address is crypto-shredded
and the member is never drawn again (the answers of past studies are not kept here, so past
anonymous statistics are unaffected).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from stadskamer.surveys.domain import Channel
from stadskamer.surveys.inputs import (
    REQUEST_ID,
    Address,
    Violation,
    address_violations,
    code_violations,
    subject_violations,
)
from stadskamer.surveys.sampler import DIMENSIONS, Target

MEMBER_PREFIX = "panelMembers/"
DRAW_PREFIX = "panelDraws/"
DEFAULT_REST_DAYS = 90
MAX_SAMPLE_SIZE = 10_000
MAX_TARGETS = 50
PURPOSE = "research-panel"
TARGET_DOMAIN = "kcc"
# The ten districts (wijken) of Utrecht, as an example default.
DEFAULT_DISTRICTS = (
    "west",
    "noordwest",
    "overvecht",
    "noordoost",
    "oost",
    "binnenstad",
    "zuid",
    "zuidwest",
    "leidsche-rijn",
    "vleuten-de-meern",
)


class AgeBand(IntEnum):
    """A self-declared age group (numbers of ``AgeBand``)."""

    FROM_18_TO_29 = 1
    FROM_30_TO_44 = 2
    FROM_45_TO_64 = 3
    FROM_65_TO_74 = 4
    FROM_75 = 5


class DigitalSkills(IntEnum):
    """A self-assessment of digital skills (numbers of ``DigitalSkills``)."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


class MemberState(IntEnum):
    """Whether a member is in the panel (numbers of ``MemberState``)."""

    ACTIVE = 1
    LEFT = 2


@dataclass(frozen=True)
class Strata:
    """A member's four self-declared strata."""

    age_band: AgeBand
    district: str
    preferred_channel: Channel
    digital_skills: DigitalSkills

    def values(self) -> dict[str, str]:
        """The stratum value per dimension, as the sampler compares them."""
        return {
            "age_band": self.age_band.name,
            "district": self.district,
            "preferred_channel": self.preferred_channel.code,
            "digital_skills": self.digital_skills.name,
        }


@dataclass(frozen=True)
class PanelMember:
    """One member (the address is not part of it: it is sealed in storage)."""

    id: str
    subject: bytes
    strata: Strata
    state: MemberState
    joined_at: datetime
    left_at: datetime | None = None
    last_drawn_at: datetime | None = None

    @property
    def name(self) -> str:
        """The resource name ``panelMembers/{id}``."""
        return MEMBER_PREFIX + self.id

    def rested(self, now: datetime, rest_days: int) -> bool:
        """Whether the member may be drawn at ``now``: never drawn, or rested long enough."""
        drawn = self.last_drawn_at
        return drawn is None or drawn <= now - timedelta(days=rest_days)


@dataclass(frozen=True)
class JoinRequest:
    """A citizen joining the panel; the strata as given (0: not given)."""

    subject: bytes
    age_band: int
    district: str
    preferred_channel: int
    digital_skills: int
    address: Address | None


@dataclass(frozen=True)
class DrawRequest:
    """A draw of a sample for a study."""

    request_id: str
    study: str
    size: int
    targets: tuple[Target, ...]
    fill_shortfall: bool = False


def join_violations(join: JoinRequest, districts: Sequence[str] | None) -> Iterator[Violation]:
    """Shape checks of a join; with ``districts``, also against the configured list."""
    yield from subject_violations("subject", join.subject)
    if join.age_band not in AgeBand.__members__.values():
        yield "strata.age_band", "required: an AgeBand value"
    if districts is None:
        yield from code_violations("strata.district", join.district)
    elif join.district not in districts:
        yield "strata.district", "required: a district code of this municipality"
    if join.preferred_channel not in Channel.__members__.values():
        yield "strata.preferred_channel", "required: a Channel value"
    if join.digital_skills not in DigitalSkills.__members__.values():
        yield "strata.digital_skills", "required: a DigitalSkills value"
    yield from address_violations("contact_address", join.address)


def strata_of(join: JoinRequest) -> Strata:
    """The strata of a valid join."""
    return Strata(
        AgeBand(join.age_band),
        join.district,
        Channel(join.preferred_channel),
        DigitalSkills(join.digital_skills),
    )


def draw_violations(draw: DrawRequest) -> Iterator[Violation]:
    """Shape checks of a draw: size, targets (known dimension, share, no duplicates, sums)."""
    if not REQUEST_ID.match(draw.request_id):
        yield "request_id", "required: 1-128 printable ASCII characters without spaces"
    yield from code_violations("study", draw.study)
    if not 1 <= draw.size <= MAX_SAMPLE_SIZE:
        yield "size", f"required: 1 to {MAX_SAMPLE_SIZE}"
    if len(draw.targets) > MAX_TARGETS:
        yield "targets", f"at most {MAX_TARGETS} targets"
        return
    seen: set[tuple[str, str]] = set()
    totals: dict[str, float] = {}
    for index, target in enumerate(draw.targets):
        field = f"targets[{index}]"
        if target.dimension not in DIMENSIONS or not target.value:
            yield f"{field}.stratum", "required: exactly one known stratum"
        elif (target.dimension, target.value) in seen:
            yield f"{field}.stratum", "this stratum has a target already"
        if not 0.0 < target.share <= 1.0:
            yield f"{field}.share", "required: more than 0 and at most 1"
        seen.add((target.dimension, target.value))
        totals[target.dimension] = totals.get(target.dimension, 0.0) + max(target.share, 0.0)
    for dimension, total in sorted(totals.items()):
        if total > 1.0 + 1e-9:
            yield "targets", f"the shares of {dimension} add up to more than 1"
