"""The research panel on SQLite and PostgreSQL: joining, drawing, withdrawal and erasure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from stadskamer.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from stadskamer.surveys.domain import Channel
from stadskamer.surveys.inputs import Address
from stadskamer.surveys.panel import AgeBand, DigitalSkills, DrawRequest, JoinRequest, MemberState
from stadskamer.surveys.sampler import Target
from tests.integration.surveys.support import ANALYST, SYSTEM, World, database_files
from tests.support.databases import dump_database_text, files_containing
from tests.unit.surveys.fakes import bsns

OLD, YOUNG = AgeBand.FROM_75, AgeBand.FROM_18_TO_29


def address_of(bsn: str) -> str:
    """A distinct e-mail address per citizen."""
    return f"panel.{bsn}@example.nl"


def join(
    world: World,
    bsn: str,
    age: AgeBand = YOUNG,
    skills: DigitalSkills = DigitalSkills.HIGH,
    consent: bool = True,
) -> str:
    """Give consent (in the stand-in) and join; the member's name."""
    if consent:
        world.consents.panel.add(world.pseudonym(bsn))
    request = JoinRequest(
        world.subject(bsn),
        int(age),
        "overvecht",
        int(Channel.PHONE),
        int(skills),
        Address(1, address_of(bsn)),
    )
    return world.cases.panel.join(SYSTEM, request).name


def draw(request_id: str, size: int, *targets: Target, fill: bool = False) -> DrawRequest:
    """A draw request for the study ``kto-2026``."""
    return DrawRequest(request_id, "kto-2026", size, targets, fill)


def test_joining_needs_an_active_research_panel_consent(world: World) -> None:
    with pytest.raises(FailedPrecondition) as refused:
        join(world, "111222333", consent=False)
    assert refused.value.reason == "NO_PANEL_CONSENT"
    assert world.count("panel_members") == 0
    name = join(world, "111222333")
    again = join(world, "111222333", age=OLD)
    assert again == name and world.count("panel_members") == 1
    assert address_of("111222333") not in dump_database_text(world.url)


def test_a_bad_join_names_the_field(world: World) -> None:
    request = JoinRequest(world.subject(), 0, "atlantis", 2, 1, Address(2, "123"))
    with pytest.raises(InvalidArgument) as refused:
        world.cases.panel.join(SYSTEM, request)
    fields = {v.field for v in refused.value.violations}
    assert fields == {"strata.age_band", "strata.district", "contact_address.value"}


def test_a_draw_meets_the_targets_the_panel_allows_and_reports_the_shortfall(
    world: World,
) -> None:
    people = bsns(30)
    for index, bsn in enumerate(people):
        skills = DigitalSkills.LOW if index < 3 else DigitalSkills.HIGH
        join(world, bsn, age=OLD if index % 2 else YOUNG, skills=skills)
    targets = (Target("age_band", OLD.name, 0.5), Target("digital_skills", "LOW", 0.4))
    drawn = world.cases.panel.draw(ANALYST, draw("d-1", 10, *targets))
    old, low = drawn.strata
    assert (low.target_count, low.drawn, low.available, low.shortfall) == (4, 3, 3, 1)
    assert len(drawn.members) == 9 and len(world.delivery.messages) == 9
    assert old.target_count == 5 and old.drawn in (4, 5) and old.shortfall == 5 - old.drawn
    assert all("kto-2026" in m.body for m in world.delivery.messages)
    replay = world.cases.panel.draw(ANALYST, draw("d-1", 10, *targets))
    assert replay.replayed and [m.id for m in replay.members] == [m.id for m in drawn.members]
    assert [o.shortfall for o in replay.strata] == [old.shortfall, 1]
    rested = world.cases.panel.draw(ANALYST, draw("d-2", 30, fill=True))
    assert len(rested.members) == 21
    assert not {m.id for m in rested.members} & {m.id for m in drawn.members}
    world.clock.advance(timedelta(days=91))
    assert len(world.cases.panel.draw(ANALYST, draw("d-3", 30)).members) == 30


def test_a_withdrawn_consent_removes_the_member_at_the_next_draw_and_shreds_the_address(
    world: World, tmp_path: Path
) -> None:
    leaving, staying = "111222333", "123456782"
    join(world, leaving)
    join(world, staying)
    with world.engine.connect() as connection:
        wrapped = bytes(
            connection.execute(
                text(
                    "SELECT wrapped_key FROM panel_member_keys k JOIN panel_members m "
                    "ON m.id = k.member_id WHERE m.subject_pseudonym = :s"
                ),
                {"s": world.pseudonym(leaving)},
            ).scalar_one()
        )
    world.consents.panel.discard(world.pseudonym(leaving))
    drawn = world.cases.panel.draw(ANALYST, draw("d-1", 2))
    assert [m.subject for m in drawn.members] == [world.pseudonym(staying)]
    assert drawn.left_without_consent == 1
    assert [m.address for m in world.delivery.messages] == [address_of(staying)]
    with world.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT state, address_sealed FROM panel_members WHERE subject_pseudonym = :s"),
            {"s": world.pseudonym(leaving)},
        ).all()
        keys = connection.execute(text("SELECT count(*) FROM panel_member_keys")).scalar_one()
    assert rows == [(MemberState.LEFT.name, None)] and keys == 1
    if world.url.startswith("sqlite"):
        files = database_files(tmp_path)
        assert files and not [p for p in files if wrapped in p.read_bytes()]
        assert files_containing(tmp_path, [address_of(leaving), address_of(staying)]) == []
    assert len(world.cases.panel.draw(ANALYST, draw("d-2", 2)).members) == 0


def test_a_sweep_checks_every_member_and_lets_those_without_consent_leave(world: World) -> None:
    people = bsns(4)
    for bsn in people:
        join(world, bsn)
    world.consents.panel.discard(world.pseudonym(people[0]))
    world.consents.panel.discard(world.pseudonym(people[1]))
    assert world.cases.panel.sweep(SYSTEM) == (4, 2)
    assert world.cases.panel.sweep(SYSTEM) == (2, 0)
    leaves = [r for r in world.log.records if r.name == "surveys.panel-leave"]
    assert len(leaves) == 2 and all(r.subject_tagged and not r.subject for r in leaves)
    sweeps = [r for r in world.log.records if r.name == "surveys.panel-sweep"]
    assert [(r.reference, r.actor, r.subject_tagged) for r in sweeps] == [
        ("citizens=4", SYSTEM.subject, b""),
        ("citizens=2", SYSTEM.subject, b""),
    ]


def test_a_member_is_rechecked_by_the_consent_it_joined_with(world: World) -> None:
    name = join(world, "111222333")
    with world.engine.connect() as connection:
        sealed = connection.execute(text("SELECT consent_sealed FROM panel_members")).scalar_one()
    assert sealed is not None and b"consents/" not in bytes(sealed)
    checks = world.consents.checks
    assert world.cases.panel.sweep(SYSTEM) == (1, 0)
    assert world.consents.checks == checks + 1
    with world.engine.begin() as connection:
        connection.execute(text("UPDATE panel_members SET consent_sealed = NULL"))
    assert world.cases.panel.sweep(SYSTEM) == (1, 1)  # a member with no consent kept leaves
    assert name.startswith("panelMembers/")


def test_joining_claims_the_subject_once(world: World) -> None:
    world.consents.panel.add(world.pseudonym())
    subject = world.subject()
    request = JoinRequest(subject, int(YOUNG), "overvecht", 2, 3, Address(1, address_of("x")))
    world.cases.panel.join(SYSTEM, request)
    with pytest.raises(PermissionDenied) as spent:
        world.cases.panel.join(SYSTEM, request)
    assert spent.value.reason == "TAG_SPENT"
    [record] = [r for r in world.log.records if r.name == "surveys.panel-join"]
    assert record.subject_tagged
