"""The research panel's members, their wrapped data keys and the draws, with SQLAlchemy Core.

Leaving the panel erases the member's sealed address and consent name and deletes the row
with the member's data key (crypto-shredding), in one transaction. Joining locks the
citizen's row of ``survey_subjects`` first (see the invitation repository), so one citizen is
one member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from stadskamer.surveys.adapters.orm import (
    panel_draw_members,
    panel_draws,
    panel_member_keys,
    panel_members,
)
from stadskamer.surveys.adapters.records import from_us, optional_time, to_us
from stadskamer.surveys.domain import AddressKind, Channel
from stadskamer.surveys.panel import AgeBand, DigitalSkills, MemberState, PanelMember, Strata

_m, _k = panel_members.c, panel_member_keys.c


@dataclass(frozen=True)
class SealedAddress:
    """A member's sealed address, its kind, and the wrapped data key that opens it."""

    kind: AddressKind
    sealed: bytes
    wrapped_key: bytes


@dataclass(frozen=True)
class DrawRecord:
    """A stored draw: what was asked, the report of the strata and the members drawn."""

    id: str
    request_digest: bytes
    study: str
    requested_size: int
    left_without_consent: int
    report: str
    created_at: datetime
    created_by: str
    member_ids: tuple[str, ...]


def _member(row: Any) -> PanelMember:
    return PanelMember(
        id=row.id,
        subject=bytes(row.subject_pseudonym),
        strata=Strata(
            AgeBand[row.age_band],
            row.district,
            Channel(row.preferred_channel),
            DigitalSkills[row.digital_skills],
        ),
        state=MemberState[row.state],
        joined_at=from_us(row.joined_at_us),
        left_at=optional_time(row.left_at_us),
        last_drawn_at=optional_time(row.last_drawn_at_us),
    )


def _values(member: PanelMember, address: SealedAddress, consent: bytes) -> dict[str, Any]:
    return {
        "consent_sealed": consent,
        "age_band": member.strata.age_band.name,
        "district": member.strata.district,
        "preferred_channel": int(member.strata.preferred_channel),
        "digital_skills": member.strata.digital_skills.name,
        "state": member.state.name,
        "address_kind": address.kind.name,
        "address_sealed": address.sealed,
        "joined_at_us": to_us(member.joined_at),
        "left_at_us": None,
    }


class PanelRepository:
    """Read and write panel members and draws within a unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def by_subject(self, subject: bytes) -> PanelMember | None:
        """The member record of a citizen, active or left."""
        row = self._session.execute(
            select(panel_members).where(_m.subject_pseudonym == subject)
        ).first()
        return _member(row) if row is not None else None

    def get(self, member_ids: Sequence[str]) -> list[PanelMember]:
        """The members with these ids, in that order (unknown ids are left out)."""
        rows = self._session.execute(select(panel_members).where(_m.id.in_(member_ids)))
        found = {row.id: _member(row) for row in rows}
        return [found[i] for i in member_ids if i in found]

    def add(self, member: PanelMember, address: SealedAddress, consent: bytes) -> None:
        """Insert a new member and its key (the citizen's row is locked by the caller);
        ``consent`` is the sealed name of the consent it joined with."""
        self._session.execute(
            insert(panel_members).values(
                id=member.id, subject_pseudonym=member.subject, **_values(member, address, consent)
            )
        )
        self._set_key(member.id, address.wrapped_key)

    def rejoin(self, member: PanelMember, address: SealedAddress, consent: bytes) -> None:
        """Overwrite a member's strata, address and consent, and give it a new key (active
        again)."""
        self._session.execute(
            update(panel_members)
            .where(_m.id == member.id)
            .values(_values(member, address, consent))
        )
        self._set_key(member.id, address.wrapped_key)

    def _set_key(self, member_id: str, wrapped: bytes) -> None:
        self._session.execute(delete(panel_member_keys).where(_k.member_id == member_id))
        self._session.execute(
            insert(panel_member_keys).values(member_id=member_id, wrapped_key=wrapped)
        )

    def active(self) -> list[PanelMember]:
        """Every active member, by id."""
        rows = self._session.execute(
            select(panel_members).where(_m.state == MemberState.ACTIVE.name).order_by(_m.id)
        )
        return [_member(row) for row in rows]

    def address(self, member_id: str) -> SealedAddress | None:
        """An active member's sealed address and wrapped key (None once shredded)."""
        row = self._session.execute(
            select(_m.address_kind, _m.address_sealed, _k.wrapped_key)
            .select_from(panel_members.join(panel_member_keys, _k.member_id == _m.id))
            .where(_m.id == member_id, _m.address_sealed.is_not(None))
        ).first()
        if row is None:
            return None
        return SealedAddress(
            AddressKind[row.address_kind], bytes(row.address_sealed), bytes(row.wrapped_key)
        )

    def consent(self, member_id: str) -> tuple[bytes, bytes] | None:
        """An active member's sealed consent name and wrapped key (None: none kept)."""
        row = self._session.execute(
            select(_m.consent_sealed, _k.wrapped_key)
            .select_from(panel_members.join(panel_member_keys, _k.member_id == _m.id))
            .where(_m.id == member_id, _m.consent_sealed.is_not(None))
        ).first()
        return None if row is None else (bytes(row.consent_sealed), bytes(row.wrapped_key))

    def leave(self, member_id: str, now: datetime) -> bool:
        """Mark an active member left, erase the address and consent, delete the key."""
        result = self._session.execute(
            update(panel_members)
            .where(_m.id == member_id, _m.state == MemberState.ACTIVE.name)
            .values(
                state=MemberState.LEFT.name,
                left_at_us=to_us(now),
                address_kind=None,
                address_sealed=None,
                consent_sealed=None,
            )
        )
        self._session.execute(delete(panel_member_keys).where(_k.member_id == member_id))
        return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]

    def mark_drawn(self, member_ids: Sequence[str], now: datetime) -> None:
        """Start the rest period of the drawn members."""
        if member_ids:
            self._session.execute(
                update(panel_members)
                .where(_m.id.in_(member_ids))
                .values(last_drawn_at_us=to_us(now))
            )

    def draw(self, request_digest: bytes) -> DrawRecord | None:
        """The draw made with the request id of this keyed digest, if any."""
        row = self._session.execute(
            select(panel_draws).where(panel_draws.c.request_digest == request_digest)
        ).first()
        if row is None:
            return None
        d = panel_draw_members.c
        ids = self._session.execute(
            select(d.member_id).where(d.draw_id == row.id).order_by(d.position)
        ).scalars()
        return DrawRecord(
            row.id,
            bytes(row.request_digest),
            row.study,
            row.requested_size,
            row.left_without_consent,
            row.report,
            from_us(row.created_at_us),
            row.created_by,
            tuple(str(i) for i in ids),
        )

    def add_draw(self, record: DrawRecord) -> None:
        """Store a draw; IntegrityError (raised) when its request digest is known."""
        self._session.execute(
            insert(panel_draws).values(
                id=record.id,
                request_digest=record.request_digest,
                study=record.study,
                requested_size=record.requested_size,
                left_without_consent=record.left_without_consent,
                report=record.report,
                created_at_us=to_us(record.created_at),
                created_by=record.created_by,
            )
        )
        for position, member_id in enumerate(record.member_ids):
            self._session.execute(
                insert(panel_draw_members).values(
                    draw_id=record.id, position=position, member_id=member_id
                )
            )
