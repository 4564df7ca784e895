"""Invitations on SQLite and PostgreSQL: the rules, idempotency, events and bad input."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from stadskamer.common.errors import InvalidArgument, PermissionDenied, Unavailable
from stadskamer.pep import tags
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
)
from tests.support.databases import dump_database_text
from tests.support.pseudonyms import LocalPseudonyms

BSN = "111222333"
FIELD = "event.complaint_closed.encrypted_subject"


def closed(world: World, event_id: str, bsn: str | None = BSN, **changes: object) -> IncomingEvent:
    """A ComplaintClosed event as the servicer hands it to the intake, with a fresh reference
    of klachten as the complaints service sends it."""
    context = Context(
        TriggerKind.COMPLAINT, Channel.WEB_FORM, "klacht", "burgerzaken", Outcome.UNFOUNDED
    )
    event = IncomingEvent(
        event_id,
        "complaint-closed",
        context,
        world.pushed(bsn) if bsn else b"",
        "klachten",
        "complaints/8d1c7d0e-0000-4000-8000-000000000001",
        FIELD,
    )
    return replace(event, **changes)  # type: ignore[arg-type]


def test_an_invitation_with_an_address_is_delivered_and_the_address_erased(world: World) -> None:
    admission = world.cases.intake.create(AGENT, world.draft("r-1"))
    assert admission.invitation is not None and admission.skip is None
    assert admission.invitation.status is DeliveryStatus.DELIVERED
    [message] = world.delivery.messages
    assert message.address == ADDRESS and "?t=" in message.body
    assert ADDRESS not in dump_database_text(world.url)
    with world.engine.connect() as connection:
        sealed = connection.execute(text("SELECT address_sealed FROM invitations")).scalar_one()
    assert sealed is None
    assert [r.name for r in world.log.records] == ["surveys.invite", "surveys.deliver"]
    for record in world.log.records:
        assert record.subject == "" and record.subject_tagged
        assert world.pseudonyms.pseudonym(record.subject_tagged) != world.pseudonym(BSN)
    first, second = (world.pseudonyms.pseudonym(r.subject_tagged) for r in world.log.records)
    assert first == second  # one citizen in the audit service's domain


def test_at_most_one_invitation_per_citizen_within_the_fatigue_period(world: World) -> None:
    first = world.cases.intake.create(AGENT, world.draft("r-1"))
    world.clock.advance(timedelta(days=29, hours=23))
    again = world.cases.intake.create(AGENT, world.draft("r-2"))
    assert first.invitation is not None
    assert again.invitation is None and again.skip is SkipReason.FATIGUE
    world.clock.advance(timedelta(hours=1))
    later = world.cases.intake.create(AGENT, world.draft("r-3"))
    assert later.invitation is not None
    other = world.cases.intake.create(AGENT, world.draft("r-4", bsn="123456782"))
    assert other.invitation is not None
    assert world.count() == 3 and world.count("triggers") == 4


def test_concurrent_triggers_for_one_citizen_make_one_invitation(world: World) -> None:
    results: list[SkipReason | None] = []
    lock = threading.Lock()

    drafts = [world.draft(f"c-{index}", address=None) for index in range(6)]

    def create(index: int) -> None:
        admission = world.cases.intake.create(AGENT, drafts[index])
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
    waiting = world.cases.intake.create(AGENT, world.draft("r-1", address=None))
    assert waiting.invitation is not None
    recorded = world.cases.objections.record(SYSTEM, world.subject(BSN))
    assert recorded.cancelled_invitations == 1 and recorded.objection.withdrawn_at is None
    assert world.statuses() == ["CANCELLED"]
    world.clock.advance(timedelta(days=60))
    blocked = world.cases.intake.create(AGENT, world.draft("r-2"))
    assert blocked.skip is SkipReason.OBJECTED and world.count() == 1
    again = world.cases.objections.record(SYSTEM, world.subject(BSN))
    assert again.cancelled_invitations == 0
    withdrawn = world.cases.objections.withdraw(SYSTEM, world.subject(BSN))
    assert withdrawn.withdrawn_at is not None
    assert world.cases.intake.create(AGENT, world.draft("r-3")).invitation is not None


def test_anonymous_contacts_and_unsurveyed_channels_get_no_invitation(
    database_url: str, pseudonyms: LocalPseudonyms
) -> None:
    rules = InvitationRules(sampling_rates={Channel.COUNTER: 0.0, Channel.PHONE: 0.5})
    world = build_world(database_url, pseudonyms, rules)
    try:
        anonymous = world.cases.intake.create(AGENT, world.draft("a-1", bsn=None))
        assert anonymous.skip is SkipReason.ANONYMOUS and world.pseudonyms.calls == 0
        counter = world.cases.intake.create(AGENT, world.draft("a-2", channel=int(Channel.COUNTER)))
        assert counter.skip is SkipReason.NOT_ELIGIBLE
        skips = [
            world.cases.intake.create(AGENT, world.draft(f"p-{i}", bsn=b, address=None)).skip
            for i, b in enumerate(["012345672", "123456782", "111222333", "100000009"])
        ]
        assert set(skips) <= {None, SkipReason.NOT_SAMPLED}
        assert world.count() == skips.count(None)
    finally:
        world.engine.dispose()


def test_a_retried_request_returns_the_first_answer_and_writes_nothing(world: World) -> None:
    request = world.draft("r-1")
    first = world.cases.intake.create(AGENT, request)
    retry = world.cases.intake.create(AGENT, request)
    assert retry.replayed and retry.invitation is not None and first.invitation is not None
    assert retry.invitation.id == first.invitation.id
    assert world.count() == 1 and len(world.delivery.messages) == 1


def test_a_closed_complaint_delivered_twice_makes_exactly_one_invitation(world: World) -> None:
    assert world.cases.intake.receive(COMPLAINTS, closed(world, "ev-1")) is False
    grants = world.consents.grants
    assert world.cases.intake.receive(COMPLAINTS, closed(world, "ev-1")) is True
    assert world.consents.grants == grants  # a redelivery asks for no grant
    assert world.count() == 1 and world.count("triggers") == 1
    assert world.statuses() == ["AWAITING_ADDRESS"]
    found = world.cases.queries.invitation(
        AGENT, "", "complaints/8d1c7d0e-0000-4000-8000-000000000001"
    )
    assert found.context.complaint_outcome is Outcome.UNFOUNDED
    assert found.subject == world.pseudonym(BSN)


def test_concurrent_deliveries_of_one_event_make_exactly_one_invitation(world: World) -> None:
    answers: list[bool] = []
    lock = threading.Lock()
    deliveries = [closed(world, "ev-9") for _ in range(5)]

    def deliver(index: int) -> None:
        duplicate = world.cases.intake.receive(COMPLAINTS, deliveries[index])
        with lock:
            answers.append(duplicate)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False, True, True, True, True]
    assert world.count() == 1 and world.count("triggers") == 1


def test_a_refused_link_is_recorded_without_an_invitation(world: World) -> None:
    world.consents.denial = "NO_RULE"
    assert world.cases.intake.receive(COMPLAINTS, closed(world, "ev-2")) is False
    assert world.count() == 0 and world.count("triggers") == 1
    assert world.cases.intake.receive(COMPLAINTS, closed(world, "ev-2")) is True
    assert world.log.records[-1].status.startswith("DENIED:NO_RULE")


def test_an_unreachable_peer_fails_the_event_and_writes_nothing(world: World) -> None:
    event = closed(world, "ev-3")
    world.pseudonyms.down = True
    with pytest.raises(Unavailable):
        world.cases.intake.receive(COMPLAINTS, event)
    world.pseudonyms.down = False
    world.consents.down = True
    with pytest.raises(Unavailable):
        world.cases.intake.receive(COMPLAINTS, event)
    assert world.count("triggers") == 0
    world.consents.down = False
    assert world.cases.intake.receive(COMPLAINTS, event) is False
    assert world.count() == 1


def test_the_pushed_pseudonym_is_converted_under_a_grant_and_not_stored(world: World) -> None:
    event = closed(world, "ev-5")
    assert world.cases.intake.receive(COMPLAINTS, event) is False
    sent = tags.parse(event.encrypted_subject).ciphertext
    assert sent.hex() not in dump_database_text(world.url)
    with world.engine.connect() as connection:
        stored = connection.execute(text("SELECT subject_reference FROM survey_subjects"))
        [reference] = [bytes(row[0]) for row in stored]
    assert reference != event.encrypted_subject
    assert world.pseudonyms.pseudonym(reference) == world.pseudonym(BSN)
    [record] = [r for r in world.log.records if r.name == "surveys.invite"]
    assert record.subject_tagged and record.status == "OK"


def test_a_pushed_pseudonym_of_another_domain_or_a_claimed_one_is_refused(world: World) -> None:
    kcc = closed(world, "ev-6", encrypted_subject=world.pushed(BSN, "kcc"))
    with pytest.raises(InvalidArgument) as foreign:
        world.cases.intake.receive(COMPLAINTS, kcc)
    assert [v.field for v in foreign.value.violations] == [FIELD]
    own = closed(world, "ev-7", encrypted_subject=world.subject(BSN))
    with pytest.raises(InvalidArgument):
        world.cases.intake.receive(COMPLAINTS, own)
    assert world.count("triggers") == 0 and world.consents.grants == 0


def test_an_event_sender_must_act_for_the_subject_domain(world: World) -> None:
    event = closed(world, "ev-4")
    with pytest.raises(PermissionDenied):
        world.cases.intake.receive(AGENT, event)
    other = replace(COMPLAINTS, domains=frozenset({"kcc"}))
    with pytest.raises(PermissionDenied):
        world.cases.intake.receive(other, event)
    assert world.count("triggers") == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"request_id": ""}, "request_id"),
        ({"subject": b"\x01" * 95}, "subject"),
        ({"subject": bytes(96)}, "subject"),
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
        world.cases.intake.create(AGENT, replace(world.draft("bad-1"), **changes))
    assert [v.field for v in refused.value.violations] == [field]
    assert ADDRESS not in str(refused.value)
    assert world.count("triggers") == 0 and world.log.records == []
