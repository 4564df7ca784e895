"""Invitations on SQLite and PostgreSQL: the rules, idempotency, events and bad input."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from stadskamer.common.errors import InvalidArgument, PermissionDenied, Unavailable
from stadskamer.surveys.domain import (
    Channel,
    Context,
    DeliveryStatus,
    InvitationRules,
    Outcome,
    SkipReason,
    TriggerKind,
)
from stadskamer.surveys.inputs import Address
from stadskamer.surveys.intake import IncomingEvent
from tests.integration.surveys.support import (
    ADDRESS,
    AGENT,
    COMPLAINTS,
    SYSTEM,
    World,
    build_world,
    draft,
)
from tests.support.databases import dump_database_text
from tests.unit.surveys.fakes import onderzoek_pseudonym, polymorphic, pushed_subject

BSN = "111222333"


def closed(event_id: str, bsn: str | None = BSN) -> IncomingEvent:
    """A ComplaintClosed event as the servicer hands it to the intake."""
    context = Context(
        TriggerKind.COMPLAINT, Channel.WEB_FORM, "klacht", "burgerzaken", Outcome.UNFOUNDED
    )
    subject = pushed_subject(bsn) if bsn else b""
    return IncomingEvent(
        event_id,
        "complaint-closed",
        context,
        subject,
        "klachten",
        "klachten",
        "complaints/8d1c7d0e-0000-4000-8000-000000000001",
    )


def test_an_invitation_with_an_address_is_delivered_and_the_address_erased(world: World) -> None:
    admission = world.cases.intake.create(AGENT, draft("r-1"))
    assert admission.invitation is not None and admission.skip is None
    assert admission.invitation.status is DeliveryStatus.DELIVERED
    [message] = world.delivery.messages
    assert message.address == ADDRESS and "?t=" in message.body
    assert ADDRESS not in dump_database_text(world.url)
    with world.engine.connect() as connection:
        sealed = connection.execute(text("SELECT address_sealed FROM invitations")).scalar_one()
    assert sealed is None
    assert [r.name for r in world.log.records] == ["surveys.invite", "surveys.deliver"]
    assert world.log.records[0].subject == onderzoek_pseudonym(BSN).hex()


def test_at_most_one_invitation_per_citizen_within_the_fatigue_period(world: World) -> None:
    first = world.cases.intake.create(AGENT, draft("r-1"))
    world.clock.advance(timedelta(days=29, hours=23))
    again = world.cases.intake.create(AGENT, draft("r-2"))
    assert first.invitation is not None
    assert again.invitation is None and again.skip is SkipReason.FATIGUE
    world.clock.advance(timedelta(hours=1))
    later = world.cases.intake.create(AGENT, draft("r-3"))
    assert later.invitation is not None
    other = world.cases.intake.create(AGENT, draft("r-4", bsn="123456782"))
    assert other.invitation is not None
    assert world.count() == 3 and world.count("triggers") == 4


def test_concurrent_triggers_for_one_citizen_make_one_invitation(world: World) -> None:
    results: list[SkipReason | None] = []
    lock = threading.Lock()

    def create(index: int) -> None:
        admission = world.cases.intake.create(AGENT, draft(f"c-{index}", address=None))
        with lock:
            results.append(admission.skip)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(None) == 1 and results.count(SkipReason.FATIGUE) == 5
    assert world.count() == 1


def test_an_objection_blocks_invitations_and_cancels_unanswered_ones(world: World) -> None:
    waiting = world.cases.intake.create(AGENT, draft("r-1", address=None))
    assert waiting.invitation is not None
    recorded = world.cases.objections.record(SYSTEM, polymorphic(BSN))
    assert recorded.cancelled_invitations == 1 and recorded.objection.withdrawn_at is None
    assert world.statuses() == ["CANCELLED"]
    world.clock.advance(timedelta(days=60))
    blocked = world.cases.intake.create(AGENT, draft("r-2"))
    assert blocked.skip is SkipReason.OBJECTED and world.count() == 1
    again = world.cases.objections.record(SYSTEM, polymorphic(BSN))
    assert again.cancelled_invitations == 0
    withdrawn = world.cases.objections.withdraw(SYSTEM, polymorphic(BSN))
    assert withdrawn.withdrawn_at is not None
    assert world.cases.intake.create(AGENT, draft("r-3")).invitation is not None


def test_anonymous_contacts_and_unsurveyed_channels_get_no_invitation(database_url: str) -> None:
    rules = InvitationRules(sampling_rates={Channel.COUNTER: 0.0, Channel.PHONE: 0.5})
    world = build_world(database_url, rules)
    try:
        anonymous = world.cases.intake.create(AGENT, draft("a-1", bsn=None))
        assert anonymous.skip is SkipReason.ANONYMOUS and world.subjects.calls == 0
        counter = world.cases.intake.create(AGENT, draft("a-2", channel=int(Channel.COUNTER)))
        assert counter.skip is SkipReason.NOT_ELIGIBLE
        skips = [
            world.cases.intake.create(AGENT, draft(f"p-{i}", bsn=b, address=None)).skip
            for i, b in enumerate(["012345672", "123456782", "111222333", "100000009"])
        ]
        assert set(skips) <= {None, SkipReason.NOT_SAMPLED}
        assert world.count() == skips.count(None)
    finally:
        world.engine.dispose()


def test_a_retried_request_returns_the_first_answer_and_writes_nothing(world: World) -> None:
    first = world.cases.intake.create(AGENT, draft("r-1"))
    retry = world.cases.intake.create(AGENT, draft("r-1"))
    assert retry.replayed and retry.invitation is not None and first.invitation is not None
    assert retry.invitation.id == first.invitation.id
    assert world.count() == 1 and len(world.delivery.messages) == 1


def test_a_closed_complaint_delivered_twice_makes_exactly_one_invitation(world: World) -> None:
    assert world.cases.intake.receive(COMPLAINTS, closed("ev-1")) is False
    assert world.cases.intake.receive(COMPLAINTS, closed("ev-1")) is True
    assert world.count() == 1 and world.count("triggers") == 1
    assert world.statuses() == ["AWAITING_ADDRESS"]
    found = world.cases.queries.invitation(
        AGENT, "", "complaints/8d1c7d0e-0000-4000-8000-000000000001"
    )
    assert found.context.complaint_outcome is Outcome.UNFOUNDED
    assert found.subject == onderzoek_pseudonym(BSN)


def test_concurrent_deliveries_of_one_event_make_exactly_one_invitation(world: World) -> None:
    answers: list[bool] = []
    lock = threading.Lock()

    def deliver() -> None:
        duplicate = world.cases.intake.receive(COMPLAINTS, closed("ev-9"))
        with lock:
            answers.append(duplicate)

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False, True, True, True, True]
    assert world.count() == 1 and world.count("triggers") == 1


def test_a_refused_link_is_recorded_without_an_invitation(world: World) -> None:
    world.subjects.denial = "NO_RULE"
    assert world.cases.intake.receive(COMPLAINTS, closed("ev-2")) is False
    assert world.count() == 0 and world.count("triggers") == 1
    assert world.cases.intake.receive(COMPLAINTS, closed("ev-2")) is True
    assert world.log.records[-1].status.startswith("DENIED:NO_RULE")


def test_an_unreachable_peer_fails_the_event_and_writes_nothing(world: World) -> None:
    world.subjects.down = True
    with pytest.raises(Unavailable):
        world.cases.intake.receive(COMPLAINTS, closed("ev-3"))
    assert world.count("triggers") == 0
    world.subjects.down = False
    assert world.cases.intake.receive(COMPLAINTS, closed("ev-3")) is False
    assert world.count() == 1


def test_an_event_sender_must_act_for_the_subject_domain(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.cases.intake.receive(AGENT, closed("ev-4"))
    other = replace(COMPLAINTS, domains=frozenset({"kcc"}))
    with pytest.raises(PermissionDenied):
        world.cases.intake.receive(other, closed("ev-4"))
    assert world.count("triggers") == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"request_id": ""}, "request_id"),
        ({"subject": b"\x01" * 95}, "subject"),
        ({"trigger": 9}, "trigger"),
        ({"channel": 0}, "channel"),
        ({"topic": "Paspoort!"}, "topic"),
        ({"org_unit": ""}, "org_unit"),
        ({"complaint_outcome": 2}, "complaint_outcome"),
        ({"source_reference": "met spatie"}, "source_reference"),
        ({"address": Address(1, "geen-adres")}, "contact_address.value"),
        ({"address": Address(0, ADDRESS)}, "contact_address.kind"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    world: World, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        world.cases.intake.create(AGENT, replace(draft("bad-1"), **changes))
    assert [v.field for v in refused.value.violations] == [field]
    assert ADDRESS not in str(refused.value)
    assert world.count("triggers") == 0 and world.log.records == []
