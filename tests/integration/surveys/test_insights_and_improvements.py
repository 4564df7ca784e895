"""Insights and improvements on SQLite and PostgreSQL; the schema matches the tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.surveys.adapters.orm import metadata
from stadskamer.surveys.improvements import ImprovementDraft
from stadskamer.surveys.insights import GroupBy
from tests.integration.surveys.support import (
    AGENT,
    ANALYST,
    COORDINATOR,
    World,
    answer,
)
from tests.support.databases import dump_database_text
from tests.unit.surveys.fakes import START, bsns


def answered(world: World, org_unit: str, scores: list[int], aspect: str, first: int) -> None:
    """Invite one citizen per score for ``org_unit`` and answer with that score."""
    for offset, (bsn, score) in enumerate(zip(bsns(len(scores), first), scores, strict=True)):
        world.cases.intake.create(
            AGENT, world.draft(f"{org_unit}-{offset}", bsn=bsn, org_unit=org_unit)
        )
        world.cases.answering.submit(answer(world.last_token(), score, aspect=aspect))


def test_insights_group_the_answers_and_suppress_small_groups(world: World) -> None:
    answered(world, "kcc-noord", [9, 9, 10, 8, 7, 7, 6, 5, 3, 2, 9, 8], "bejegening", 10_000_000)
    answered(world, "kcc-zuid", [1, 2, 3], "uitkomst", 20_000_000)
    world.cases.intake.create(
        AGENT, world.draft("unanswered", bsn="111222333", org_unit="kcc-noord")
    )
    end = START + timedelta(days=1)
    insights = world.cases.queries.insights(ANALYST, START, end, int(GroupBy.ORG_UNIT))
    overall = insights.overall.figures
    assert overall is not None and overall.invitations == 16 and overall.responses == 15
    noord, zuid = insights.groups
    assert (noord.key, zuid.key, zuid.figures) == ("kcc-noord", "kcc-zuid", None)
    assert noord.figures is not None
    assert noord.figures.invitations == 13 and noord.figures.responses == 12
    assert noord.figures.csat == pytest.approx(6 / 12)
    assert noord.figures.nps == pytest.approx(100 * (4 - 4) / 12)
    [bejegening, uitkomst] = insights.drivers
    assert not bejegening.suppressed and uitkomst.suppressed
    assert insights.main_low_score_driver == "bejegening"
    by_aspect = world.cases.queries.insights(ANALYST, START, end, int(GroupBy.ASPECT))
    assert [(g.key, g.figures is None) for g in by_aspect.groups] == [
        ("bejegening", False),
        ("uitkomst", True),
    ]
    later = world.cases.queries.insights(ANALYST, end, end + timedelta(days=1), 0)
    assert later.overall.figures is None and later.groups == []


def test_insights_need_an_analyst_and_a_valid_period(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.cases.queries.insights(COORDINATOR, START, START + timedelta(days=1), 0)
    with pytest.raises(InvalidArgument) as refused:
        world.cases.queries.insights(ANALYST, START, START, 0)
    assert refused.value.violations[0].field == "end_time"


def improvement(request_id: str, count: int, quarter: str = "2026-Q4") -> ImprovementDraft:
    """An improvement of a quarter with ``count`` signals."""
    return ImprovementDraft(
        request_id,
        quarter,
        f"Verbetering {request_id}",
        "Wij noemen de verwachte uitbetaaldatum nu op de website.",
        ((1, "snelheid"), (2, "energietoeslag"), (1, "snelheid")),
        count,
    )


def test_the_public_list_is_the_quarters_top_five_by_signal_count(world: World) -> None:
    for index, count in enumerate([5, 40, 12, 7, 40, 1, 3]):
        world.cases.queries.create_improvement(COORDINATOR, improvement(f"i-{index}", count))
        world.clock.advance(timedelta(minutes=1))
    world.cases.queries.create_improvement(COORDINATOR, improvement("other", 99, "2026-Q3"))
    retry = world.cases.queries.create_improvement(COORDINATOR, improvement("i-1", 40))
    top, total = world.cases.queries.top("2026-Q4")
    assert total == 7 and retry.rank == 1
    assert [(i.title.removeprefix("Verbetering "), i.rank) for i in top] == [
        ("i-1", 1),
        ("i-4", 2),
        ("i-2", 3),
        ("i-3", 4),
        ("i-0", 5),
    ]
    assert len(top[0].signals) == 2
    assert "uitbetaaldatum" not in dump_database_text(world.url)
    with pytest.raises(InvalidArgument):
        world.cases.queries.top("2026-Q5")


def test_the_migrated_schema_matches_the_table_definitions(world: World) -> None:
    with world.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": "alembic_version_surveys"}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []
