"""JSON ⇄ proto helpers: names, enums and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.gateway.rest.codec import BadInput, EnumCodec, camel, iso, json_path, timestamp


def test_names_become_camel_case_and_paths_keep_their_indexes() -> None:
    assert camel("org_unit") == "orgUnit"
    assert camel("subject") == "subject"
    assert json_path("requests[12].org_unit", {}) == "requests[12].orgUnit"
    assert json_path("capture.agent_id", {}) == "capture.agentId"
    assert json_path("subject", {"subject": "bsn"}) == "bsn"


def test_enums_are_kebab_case_without_prefix_or_unspecified() -> None:
    channels = EnumCodec(channel_pb2.Channel, "CHANNEL_")
    assert channels.choices[:3] == ["counter", "phone", "email"]
    assert "web-form" in channels.choices and "unspecified" not in channels.choices
    assert channels.number("web-form", "channel") == channel_pb2.CHANNEL_WEB_FORM
    assert channels.name(channel_pb2.CHANNEL_UNSPECIFIED) is None
    with pytest.raises(BadInput) as refused:
        channels.number("pigeon", "channel")
    assert refused.value.violations[0].field == "channel"
    assert "pigeon" not in refused.value.violations[0].description


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_times_round_trip_through_iso_8601_in_utc(moment: datetime, offset: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=offset)))
    text = iso(timestamp(local.isoformat(), "t"))
    assert text.endswith("Z")
    parsed = datetime.fromisoformat(text)
    assert abs(parsed - moment) < timedelta(milliseconds=1)


@pytest.mark.parametrize("text", ["2026-01-01T10:00:00", "yesterday", "", "0001-01-01T00:00:00Z"])
def test_times_without_zone_or_unreadable_are_refused(text: str) -> None:
    with pytest.raises(BadInput) as refused:
        timestamp(text, "occurredAt")
    assert refused.value.violations[0].field == "occurredAt"
