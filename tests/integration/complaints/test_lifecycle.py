"""The coordinator's changes on SQLite and PostgreSQL, and the event written on closing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from stadskamer.api.events.v1 import events_pb2
from stadskamer.client import decrypt_pseudonym
from stadskamer.common.auth import Principal
from stadskamer.common.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    StadskamerError,
)
from stadskamer.complaints.adapters.events import ClosedComplaintSubjects
from stadskamer.complaints.adapters.orm import complaints, outbox
from stadskamer.complaints.domain import HandlingForm, Outcome, Status
from stadskamer.pep import tags
from tests.integration.complaints.support import (
    AGENT,
    ANALYST,
    COORDINATOR,
    World,
)
from tests.support.databases import dump_database_text

FOUNDED = int(Outcome.FOUNDED)


def _filed(world: World, request_id: str = "req-1", **changes: object) -> str:
    return world.filing.file(AGENT, world.draft(request_id, **changes)).complaint.name


def _pending(world: World) -> list[events_pb2.Event]:
    with world.engine.connect() as connection:
        found = outbox.pending(connection, "any-sink", 100)
    return [events_pb2.Event.FromString(event.payload) for _, event in found]


def test_the_whole_lifecycle_ends_with_one_closed_event(world: World) -> None:
    name = _filed(world, about_official=True)
    world.clock.now += timedelta(days=1)
    called = world.lifecycle.record_callback(COORDINATOR, name, None, 3, False)
    assert called.status is Status.IN_HANDLING
    assert called.handling_form is HandlingForm.THREE_WAY_CONVERSATION
    assert called.callback_within_norm
    assert called.description  # every change returns the opened complaint
    decided = world.lifecycle.decide(COORDINATOR, name, int(Outcome.PARTLY_FOUNDED), "kcc", 0)
    assert decided.status is Status.DECIDED
    assert decided.handled_by_org_unit == "kcc"
    assert _pending(world) == []
    closed = world.lifecycle.close(COORDINATOR, name)
    assert closed.status is Status.CLOSED
    assert world.woken == [1]
    [event] = _pending(world)
    payload = event.complaint_closed
    assert event.type == "stadskamer.events.v1.ComplaintClosed"
    assert event.source == "complaints"
    assert payload.complaint == name
    assert payload.case_number == closed.case_number
    assert payload.outcome == Outcome.PARTLY_FOUNDED
    assert payload.handled_by_org_unit == "kcc"
    assert payload.org_unit == "belastingen"
    assert payload.about_official
    assert payload.subject_domain == "klachten"
    assert payload.encrypted_subject == b""  # stored without the complainant
    with pytest.raises(FailedPrecondition):
        world.lifecycle.close(COORDINATOR, name)
    assert len(_pending(world)) == 1


def test_each_delivery_carries_a_fresh_reference_of_the_complainant(world: World) -> None:
    name = _closed(world)
    [event] = _pending(world)
    prepare = ClosedComplaintSubjects(world.deps.unit_of_work, world.pseudonyms)
    first = prepare(events_pb2.Event.FromString(event.SerializeToString()))
    second = prepare(events_pb2.Event.FromString(event.SerializeToString()))
    assert first is not None and second is not None
    sent = [first.complaint_closed.encrypted_subject, second.complaint_closed.encrypted_subject]
    with world.engine.connect() as connection:
        stored = connection.execute(
            select(complaints.c.subject_reference).where(complaints.c.id == name[11:])
        ).scalar_one()
    assert sent[0] != sent[1] and bytes(stored) not in sent
    for subject in sent:
        tag = tags.parse(subject)
        assert (tag.kind, tag.audience, tag.grant_id) == (tags.Kind.REFERENCE, "klachten", "")
        assert decrypt_pseudonym(subject, world.key) == world.pseudonym("111222333")
    assert first.complaint_closed.subject_domain == "klachten"


def test_a_complaint_without_a_reference_closes_without_an_event(world: World) -> None:
    name = _filed(world)
    with world.engine.begin() as connection:
        connection.execute(update(complaints).values(subject_reference=None))
    world.lifecycle.record_callback(COORDINATOR, name, None, 1, False)
    world.lifecycle.decide(COORDINATOR, name, FOUNDED, "kcc", 0)
    assert world.lifecycle.close(COORDINATOR, name).status is Status.CLOSED
    assert _pending(world) == []


def _closed(world: World) -> str:
    name = _filed(world)
    world.lifecycle.record_callback(COORDINATOR, name, None, 1, False)
    world.lifecycle.decide(COORDINATOR, name, FOUNDED, "kcc", 0)
    world.lifecycle.close(COORDINATOR, name)
    return name


def test_invalid_transitions_are_refused_and_change_nothing(world: World) -> None:
    name = _filed(world)
    with pytest.raises(FailedPrecondition):
        world.lifecycle.decide(COORDINATOR, name, FOUNDED, "kcc", 0)
    with pytest.raises(FailedPrecondition):
        world.lifecycle.close(COORDINATOR, name)
    with pytest.raises(FailedPrecondition):
        world.lifecycle.choose_handling_form(COORDINATOR, name, 1, False)
    withdrawn = world.lifecycle.withdraw(COORDINATOR, name)
    assert withdrawn.status is Status.WITHDRAWN
    with pytest.raises(FailedPrecondition):
        world.lifecycle.record_callback(COORDINATOR, name, None, 1, False)
    assert world.queries.get(COORDINATOR, name, "").status is Status.WITHDRAWN
    assert _pending(world) == []


def test_the_deadline_extends_once_with_a_sealed_reason(world: World, database_url: str) -> None:
    name = _filed(world)
    reason = "Wij wachten op informatie van mevrouw Pietersen"
    extended = world.lifecycle.extend_decision_deadline(COORDINATOR, name, reason)
    assert extended.decision_due == date(2026, 5, 11)
    assert extended.extension_reason == reason
    with pytest.raises(FailedPrecondition) as raised:
        world.lifecycle.extend_decision_deadline(COORDINATOR, name, "Nog een keer")
    assert raised.value.reason == "DEADLINE_ALREADY_EXTENDED"
    assert world.queries.get(COORDINATOR, name, "").extension_reason == reason
    assert "Pietersen" not in dump_database_text(database_url)


def test_a_committee_hearing_moves_the_decision_deadline(world: World) -> None:
    name = _filed(world)
    heard = world.lifecycle.record_callback(COORDINATOR, name, None, 2, True)
    assert heard.decision_due == date(2026, 5, 11)
    informal = world.lifecycle.choose_handling_form(COORDINATOR, name, 1, False)
    assert informal.decision_due == date(2026, 4, 13)
    assert informal.handling_form is HandlingForm.INFORMAL


def test_reassignment_keeps_the_history_with_sealed_reasons(
    world: World, database_url: str
) -> None:
    name = _filed(world)
    reason = "Gaat over de aanslag van de heer Bakker, niet over belastingen"
    moved = world.lifecycle.reassign(COORDINATOR, name, "centraal", reason)
    assert moved.coordinator == "centraal"
    history = world.queries.get(COORDINATOR, name, "").assignments
    assert [(a.coordinator, a.reason) for a in history] == [
        ("decentraal-belastingen", ""),
        ("centraal", reason),
    ]
    assert history[1].assigned_by == "coordinator-1"
    with pytest.raises(InvalidArgument) as unknown:
        world.lifecycle.reassign(COORDINATOR, name, "niet-bestaand", "Reden")
    assert unknown.value.violations[0].field == "coordinator"
    with pytest.raises(FailedPrecondition):
        world.lifecycle.reassign(COORDINATOR, name, "centraal", "Nogmaals")
    assert "Bakker" not in dump_database_text(database_url)


def test_a_call_back_before_the_receipt_or_in_the_future_is_refused(world: World) -> None:
    name = _filed(world)
    for moment, field in (
        (world.clock.now - timedelta(minutes=1), "callback_time"),
        (world.clock.now + timedelta(hours=1), "callback_time"),
    ):
        with pytest.raises(InvalidArgument) as raised:
            world.lifecycle.record_callback(COORDINATOR, name, moment, 1, False)
        assert raised.value.violations[0].field == field
    assert world.queries.get(COORDINATOR, name, "").status is Status.RECEIVED


def test_unknown_complaints_and_wrong_callers_are_refused(world: World) -> None:
    name = _filed(world)
    missing = "complaints/00000000-0000-0000-0000-000000000000"
    with pytest.raises(NotFound):
        world.lifecycle.close(COORDINATOR, missing)
    with pytest.raises(NotFound):
        world.queries.get(COORDINATOR, missing, "")
    with pytest.raises(InvalidArgument):
        world.lifecycle.close(COORDINATOR, "complaints/../x")
    for caller in (AGENT, ANALYST):
        with pytest.raises(PermissionDenied):
            world.lifecycle.record_callback(caller, name, None, 1, False)
        with pytest.raises(PermissionDenied):
            world.queries.get(caller, name, "")


def test_concurrent_decisions_of_one_complaint_serialise(world: World) -> None:
    name = _filed(world)
    world.lifecycle.record_callback(COORDINATOR, name, None, 1, False)

    def decide(outcome: int) -> str:
        try:
            return world.lifecycle.decide(COORDINATOR, name, outcome, "kcc", 0).status.name
        except StadskamerError as error:
            return type(error).__name__

    outcomes = [FOUNDED, int(Outcome.UNFOUNDED)] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(decide, outcomes))
    assert sorted(results) == ["DECIDED"] + ["FailedPrecondition"] * 7
    assert world.queries.get(COORDINATOR, name, "").status is Status.DECIDED


def test_every_change_is_in_the_processing_log(world: World) -> None:
    name = _filed(world)
    world.lifecycle.record_callback(COORDINATOR, name, None, 1, False)
    world.lifecycle.decide(COORDINATOR, name, FOUNDED, "kcc", 0)
    world.lifecycle.close(COORDINATOR, name)
    world.queries.get(COORDINATOR, "", world.queries.get(COORDINATOR, name, "").case_number)
    names = [r.name for r in world.log.read()]
    assert names == [
        "complaints.file",
        "complaints.callback",
        "complaints.decide",
        "complaints.close",
        "complaints.read",
        "complaints.read",
    ]
    assert {r.reference for r in world.log.read()} == {name}
    assert {r.actor for r in world.log.read()[1:]} == {"coordinator-1"}


def test_withdrawal_is_allowed_until_closed_and_emits_no_event(world: World) -> None:
    name = _filed(world)
    world.lifecycle.record_callback(COORDINATOR, name, None, 1, False)
    world.lifecycle.decide(COORDINATOR, name, FOUNDED, "kcc", 0)
    system = Principal("eform", frozenset({"klachten"}), frozenset({"system"}))
    withdrawn = world.lifecycle.withdraw(system, name)
    assert withdrawn.status is Status.WITHDRAWN
    assert withdrawn.withdrawn_at == world.clock.now
    with pytest.raises(FailedPrecondition):
        world.lifecycle.close(COORDINATOR, name)
    with world.engine.connect() as connection:
        assert connection.execute(select(outbox.events)).all() == []
