"""ListComplaints filters and pages, and GetComplaintStats, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.complaints.domain import Outcome, Status
from stadskamer.complaints.queries import ListQuery
from tests.integration.complaints.support import AGENT, ANALYST, COORDINATOR, World, bsns

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _names(world: World, **filters: object) -> list[str]:
    page = world.queries.list(COORDINATOR, ListQuery(**filters))  # type: ignore[arg-type]
    return [c.case_number for c in page.complaints]


def _file(world: World, request_id: str, received: datetime, **changes: object) -> str:
    return world.filing.file(
        AGENT, world.draft(request_id, received_at=received, **changes)
    ).complaint.name


def test_deadline_filters_look_at_running_clocks_only(world: World) -> None:
    world.clock.now = MONDAY + timedelta(days=21)  # Monday 23 March 2026
    early = _file(world, "early", MONDAY)  # call-back due 9 March: overdue
    _file(world, "recent", MONDAY + timedelta(days=16))  # due 25 March
    _file(world, "today", MONDAY + timedelta(days=21), org_unit="kcc")  # due 30 March
    called = _file(world, "called", MONDAY)  # overdue, but called back
    world.lifecycle.record_callback(COORDINATOR, called, None, 1, False)
    assert _names(world, overdue=True) == ["KL-2026-000001"]
    assert _names(world, due_within_days=2) == ["KL-2026-000002"]
    assert _names(world, due_within_days=7) == ["KL-2026-000002", "KL-2026-000003"]
    assert _names(world, due_within_days=0) == []
    assert _names(world, deadline=2, overdue=True) == []
    decision_due = _names(world, deadline=2, due_within_days=22)  # same receipt: order by id
    assert sorted(decision_due) == ["KL-2026-000001", "KL-2026-000004"]
    assert _names(world, status=int(Status.IN_HANDLING)) == ["KL-2026-000004"]
    assert _names(world, status=int(Status.IN_HANDLING), overdue=True) == []
    assert _names(world, org_unit="kcc") == ["KL-2026-000003"]
    assert _names(world, coordinator="decentraal-publiekszaken") == ["KL-2026-000003"]
    assert early.startswith("complaints/")


def test_the_list_pages_with_opaque_tokens(world: World) -> None:
    people = bsns(7)
    filed = {
        _file(world, f"p{index}", MONDAY - timedelta(hours=index), bsn=bsn): f"p{index}"
        for index, bsn in enumerate(people)
    }
    seen: list[str] = []
    token = ""
    while True:
        page = world.queries.list(COORDINATOR, ListQuery(page_size=3, page_token=token))
        assert len(page.complaints) <= 3
        assert all(c.description == "" for c in page.complaints)
        assert all(c.request_id == "" for c in page.complaints), "request ids are not stored"
        seen += [filed[c.name] for c in page.complaints]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"p{i}" for i in reversed(range(7))]
    first = world.queries.list(COORDINATOR, ListQuery(page_size=3))
    with pytest.raises(InvalidArgument) as raised:
        world.queries.list(COORDINATOR, ListQuery(org_unit="kcc", page_token=first.next_page_token))
    assert raised.value.violations[0].field == "page_token"


def test_listing_and_figures_need_the_right_role(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.queries.list(AGENT, ListQuery())
    with pytest.raises(PermissionDenied):
        world.queries.stats(AGENT, MONDAY, MONDAY + timedelta(days=1))


def test_the_figures_of_a_period(world: World) -> None:
    world.clock.now = MONDAY + timedelta(days=60)
    first = _file(world, "a", MONDAY)
    second = _file(world, "b", MONDAY, org_unit="kcc")
    _file(world, "c", MONDAY + timedelta(days=1))  # never called back: late
    _file(world, "outside", MONDAY - timedelta(days=40))
    world.lifecycle.record_callback(COORDINATOR, first, MONDAY + timedelta(hours=4), 1, False)
    world.lifecycle.record_callback(COORDINATOR, second, MONDAY + timedelta(days=9), 1, False)
    world.lifecycle.decide(COORDINATOR, first, int(Outcome.FOUNDED), "belastingen", 0)
    world.lifecycle.decide(COORDINATOR, second, int(Outcome.FOUNDED), "kcc", 0)
    stats = world.queries.stats(ANALYST, MONDAY - timedelta(days=1), MONDAY + timedelta(days=7))
    assert stats.total == 3
    assert stats.org_units == [("belastingen", 2), ("kcc", 1)]
    assert stats.outcomes == [(Outcome.FOUNDED, 2)]
    assert (stats.callbacks_judged, stats.callbacks_within_norm) == (3, 1)
    assert stats.median_time_to_callback == (timedelta(hours=4) + timedelta(days=9)) / 2
    assert stats.median_time_to_decision == timedelta(days=60)
    with pytest.raises(InvalidArgument):
        world.queries.stats(ANALYST, MONDAY, MONDAY)
