"""Answering on SQLite and PostgreSQL: one answer per token, expiry, call-backs, sealed texts."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from stadskamer.common.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    StadskamerError,
    Unavailable,
)
from stadskamer.surveys.domain import new_token
from tests.integration.surveys.support import AGENT, COORDINATOR, World, answer
from tests.support.databases import dump_database_text


def delivered_token(world: World, request_id: str = "r-1", bsn: str = "111222333") -> str:
    """Invite with an address and return the token from the message."""
    world.cases.intake.create(AGENT, world.draft(request_id, bsn=bsn))
    return world.last_token()


def test_concurrent_submissions_of_one_token_accept_exactly_one(world: World) -> None:
    token = delivered_token(world)
    accepted: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def submit(score: int) -> None:
        start.wait()
        try:
            world.cases.answering.submit(answer(token, score))
        except StadskamerError as error:
            with lock:
                refused.append(error.reason)
            return
        with lock:
            accepted.append(score)

    threads = [threading.Thread(target=submit, args=(s,)) for s in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 1
    assert refused == ["TOKEN_USED"] * 7
    assert world.count("responses") == 1
    assert world.statuses() == ["RESPONDED"]


def test_a_used_token_is_refused_with_a_clear_reason(world: World) -> None:
    token = delivered_token(world)
    world.cases.answering.submit(answer(token))
    with pytest.raises(FailedPrecondition) as refused:
        world.cases.answering.submit(answer(token, 3))
    assert refused.value.reason == "TOKEN_USED" and "once" in refused.value.message


def test_an_expired_token_is_explained(world: World) -> None:
    token = delivered_token(world)
    world.clock.advance(timedelta(days=30))
    with pytest.raises(FailedPrecondition) as refused:
        world.cases.answering.submit(answer(token))
    assert refused.value.reason == "TOKEN_EXPIRED" and "expired" in refused.value.message
    assert world.count("responses") == 0


def test_an_unknown_token_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.cases.answering.submit(answer(new_token()))


def test_texts_are_sealed_and_a_call_back_opens_a_task_with_a_consent(world: World) -> None:
    token = delivered_token(world)
    granted = world.cases.answering.submit(
        answer(token, 3, may_call_back=True, consent_purpose_version=1)
    )
    assert granted is not None and granted.name.startswith("consents/")
    [(request_id, pseudonym)] = world.consents.followups.items()
    assert pseudonym == world.pseudonym("111222333") and request_id.startswith("surveys-")
    text = dump_database_text(world.url)
    assert "Karin" not in text and "twintig" not in text
    tasks, next_token = world.cases.answering.tasks(COORDINATOR, "kcc-noord", 0, "")
    [task] = tasks
    assert next_token == "" and task.score == 3 and task.consent == granted.name
    assert task.what_can_be_better.startswith("Ik wachtte")
    done = world.cases.answering.complete(COORDINATOR, task.name)
    assert done.done
    assert world.cases.answering.tasks(COORDINATOR, "kcc-noord", 0, "")[0] == []
    with pytest.raises(FailedPrecondition):
        world.cases.answering.complete(COORDINATOR, task.name)


def test_a_failing_consent_service_leaves_the_token_unused(world: World) -> None:
    token = delivered_token(world)
    world.consents.down = True
    with pytest.raises(Unavailable):
        world.cases.answering.submit(answer(token, may_call_back=True, consent_purpose_version=1))
    assert world.count("responses") == 0 and world.count("callback_tasks") == 0
    world.consents.down = False
    assert world.cases.answering.submit(answer(token)) is None


def test_a_failing_processing_log_leaves_nothing_done(world: World) -> None:
    token = delivered_token(world)
    world.log.failing = True
    with pytest.raises(Unavailable):
        world.cases.answering.submit(answer(token))
    assert world.count("responses") == 0 and world.statuses() == ["DELIVERED"]


def test_tasks_are_listed_page_by_page(world: World) -> None:
    for index, bsn in enumerate(["111222333", "123456782", "012345672"]):
        token = delivered_token(world, f"r-{index}", bsn)
        world.cases.answering.submit(answer(token, may_call_back=True, consent_purpose_version=1))
        world.clock.advance(timedelta(minutes=1))
    first, token = world.cases.answering.tasks(COORDINATOR, "kcc-noord", 2, "")
    second, last = world.cases.answering.tasks(COORDINATOR, "kcc-noord", 2, token)
    assert len(first) == 2 and len(second) == 1 and last == ""
    assert len({t.id for t in first + second}) == 3
    with pytest.raises(InvalidArgument):
        world.cases.answering.tasks(COORDINATOR, "burgerzaken", 2, token)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"token": "short"}, "token"),
        ({"score": 11}, "score"),
        ({"score": 0}, "score"),
        ({"aspect": "prijs"}, "aspect"),
        ({"what_was_good": "x" * 2001}, "what_was_good"),
        ({"may_call_back": True}, "consent_purpose_version"),
    ],
)
def test_a_bad_answer_names_the_field_and_uses_no_token(
    world: World, changes: dict[str, object], field: str
) -> None:
    token = delivered_token(world)
    with pytest.raises(InvalidArgument) as refused:
        world.cases.answering.submit(replace(answer(token), **changes))
    assert [v.field for v in refused.value.violations] == [field]
    assert world.count("responses") == 0 and world.statuses() == ["DELIVERED"]
