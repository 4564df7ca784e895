"""Every Timestamp of a request is checked, however deeply nested."""

from __future__ import annotations

from stadskamer.api.audit.v1 import audit_pb2
from stadskamer.api.contacts.v1 import contacts_pb2
from stadskamer.common.timestamps import MAX_SECONDS, MIN_SECONDS, timestamp_violations


def test_well_formed_times_pass() -> None:
    request = contacts_pb2.ListContactsRequest()
    request.start_time.FromSeconds(MIN_SECONDS)
    request.end_time.FromSeconds(MAX_SECONDS)
    assert list(timestamp_violations(request)) == []


def test_out_of_range_seconds_and_negative_nanos_are_named() -> None:
    request = audit_pb2.ListProcessingRequest()
    request.filter.from_time.nanos = -1
    request.filter.until_time.seconds = MAX_SECONDS + 1
    fields = [v.field for v in timestamp_violations(request)]
    assert fields == ["filter.from_time", "filter.until_time"]


def test_times_inside_repeated_messages_name_their_index() -> None:
    batch = contacts_pb2.BatchRegisterContactsRequest()
    batch.requests.add().occurred_at.GetCurrentTime()
    batch.requests.add().occurred_at.seconds = MIN_SECONDS - 1
    assert [v.field for v in timestamp_violations(batch)] == ["requests[1].occurred_at"]
