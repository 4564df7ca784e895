"""What a valid contact is: every broken rule names its field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.common.errors import InvalidArgument
from stadskamer.contacts.domain import MAX_SUBJECT_BYTES, Channel, ContactPolicy, Draft

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
VALID = Draft(
    request_id="req-1",
    domain="kcc",
    subject=b"\x01" * 96,
    channel=int(Channel.PHONE),
    topic="paspoort",
    org_unit="kcc-telefonie",
    occurred_at=NOW - timedelta(hours=1),
    resolved_first_time=True,
    summary="Vraag over de levertijd.",
)


def fields(draft: Draft, policy: ContactPolicy | None = None) -> list[str]:
    return [name for name, _ in (policy or ContactPolicy()).violations(draft, NOW)]


def test_a_valid_draft_passes() -> None:
    ContactPolicy().check(VALID, NOW)
    ContactPolicy().check(replace(VALID, subject=b"", summary=""), NOW)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"request_id": ""}, "request_id"),
        ({"request_id": "has space"}, "request_id"),
        ({"request_id": "x" * 129}, "request_id"),
        ({"domain": ""}, "domain"),
        ({"domain": "onderzoek"}, "domain"),
        ({"subject": b"\x01" * (MAX_SUBJECT_BYTES + 1)}, "subject"),
        ({"channel": 0}, "channel"),
        ({"channel": 11}, "channel"),
        ({"topic": ""}, "topic"),
        ({"topic": "Paspoort"}, "topic"),
        ({"topic": "ruimtevaart"}, "topic"),
        ({"org_unit": ""}, "org_unit"),
        ({"org_unit": "team noord"}, "org_unit"),
        ({"occurred_at": NOW + timedelta(minutes=6)}, "occurred_at"),
        ({"occurred_at": datetime(1999, 12, 31, tzinfo=UTC)}, "occurred_at"),
        ({"summary": "x" * 2001}, "summary"),
    ],
)
def test_each_broken_rule_names_its_field(change: dict[str, object], field: str) -> None:
    draft = replace(VALID, **change)  # type: ignore[arg-type]
    assert fields(draft) == [field]
    with pytest.raises(InvalidArgument) as caught:
        ContactPolicy().check(draft, NOW)
    assert [v.field for v in caught.value.violations] == [field]


def test_clock_skew_is_allowed_up_to_the_setting() -> None:
    assert fields(replace(VALID, occurred_at=NOW + timedelta(minutes=5))) == []
    strict = ContactPolicy(clock_skew=timedelta(0))
    assert fields(replace(VALID, occurred_at=NOW + timedelta(seconds=1)), strict) == ["occurred_at"]


def test_summary_of_exactly_the_maximum_is_accepted() -> None:
    assert fields(replace(VALID, summary="é" * 2000)) == []


def test_error_messages_hold_no_content() -> None:
    secret = "Mevrouw Jansen, Dorpsstraat 1"
    draft = replace(VALID, summary=secret * 100, topic="onbekend-onderwerp")
    with pytest.raises(InvalidArgument) as caught:
        ContactPolicy().check(draft, NOW)
    text = str(caught.value) + repr(caught.value.violations)
    assert "Jansen" not in text
    assert "onbekend-onderwerp" not in text


def test_windows_per_domain_default_to_seven_days() -> None:
    policy = ContactPolicy(windows={"burgerzaken": 14})
    assert policy.window_days("burgerzaken") == 14
    assert policy.window_days("kcc") == 7


def test_the_channel_numbers_are_those_of_the_contract() -> None:
    contract = {
        name.removeprefix("CHANNEL_"): number
        for name, number in channel_pb2.Channel.items()
        if number != 0
    }
    assert contract == {c.name: int(c) for c in Channel}
