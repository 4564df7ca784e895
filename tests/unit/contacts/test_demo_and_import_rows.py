"""The demo month and the rows of import files (no server needed)."""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from stadskamer.cli.contacts_commands import LoadError, issued_subjects
from stadskamer.cli.contacts_demo import demo_month
from stadskamer.cli.contacts_rows import RowError, parse_row
from stadskamer.contacts.domain import Channel, ContactPolicy, Draft
from stadskamer.contacts.signals import rising_rule
from stadskamer.pep import normalize_bsn

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_the_demo_month_is_realistic_and_reproducible() -> None:
    rows = demo_month(NOW)
    assert rows == demo_month(NOW)
    assert 2500 <= len(rows) <= 5000
    assert {r.domain for r in rows} == {"kcc", "burgerzaken", "sociale-zaken", "belastingen"}
    assert len({r.channel for r in rows}) == len(Channel)
    assert len({r.request_id for r in rows}) == len(rows)
    assert all(NOW - timedelta(days=31) < r.occurred_at <= NOW for r in rows)
    assert all(normalize_bsn(r.bsn) == r.bsn for r in rows if r.bsn)
    assert any(not r.bsn for r in rows), "some contacts are anonymous"
    per_person = Counter((r.domain, r.bsn) for r in rows if r.bsn)
    assert sum(1 for n in per_person.values() if n > 1) > 100, "there are repeat callers"
    policy = ContactPolicy()
    for row in rows:
        draft = Draft(
            row.request_id,
            row.domain,
            b"\x01" * 96 if row.bsn else b"",
            row.channel,
            row.topic,
            row.org_unit,
            row.occurred_at,
            row.resolved_first_time,
            row.summary,
        )
        assert list(policy.violations(draft, NOW)) == []


def test_energietoeslag_rises_in_the_last_day_and_week() -> None:
    rows = [r for r in demo_month(NOW) if r.domain == "kcc"]
    for width, buckets in ((timedelta(days=1), 28), (timedelta(days=7), 4)):
        for topic, rising in (("energietoeslag", True), ("afval", False)):
            counts = [0] * buckets
            for row in rows:
                index = buckets - 1 - (NOW - row.occurred_at) // width
                if row.topic == topic and 0 <= index < buckets:
                    counts[index] += 1
            assert rising_rule(counts).rising is rising, (topic, width, counts)


def test_an_import_line_becomes_a_row() -> None:
    fields = {
        "domain": "kcc",
        "channel": "phone",
        "topic": "afval",
        "org_unit": "kcc-telefonie",
        "occurred_at": "2025-03-01T09:30:00+01:00",
        "resolved_first_time": "ja",
        "bsn": "1112.22.333",
    }
    row = parse_row(fields, "file.jsonl:1")
    assert row.request_id == "file.jsonl:1"
    assert row.channel == Channel.PHONE
    assert row.bsn == "111222333"
    assert row.resolved_first_time
    assert row.occurred_at == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    subject = base64.urlsafe_b64encode(b"\x07" * 96).decode().rstrip("=")
    other = parse_row({**fields, "bsn": "", "subject": subject, "channel": "CHANNEL_CHAT"}, "x")
    assert other.subject == b"\x07" * 96
    assert other.channel == Channel.CHAT


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"domain": ""}, "domain"),
        ({"channel": "fax"}, "channel"),
        ({"occurred_at": "gisteren"}, "occurred_at"),
        ({"occurred_at": "2025-03-01T09:30:00"}, "occurred_at"),
        ({"resolved_first_time": "misschien"}, "resolved_first_time"),
        ({"bsn": "123456789"}, "bsn"),
        ({"subject": "!!!", "bsn": ""}, "subject is not base64url"),
        ({"subject": "AAAA"}, "subject or bsn"),
    ],
)
def test_a_bad_import_line_names_the_field_not_the_value(change: dict[str, str], word: str) -> None:
    fields = {
        "domain": "kcc",
        "channel": "2",
        "topic": "afval",
        "org_unit": "kcc",
        "occurred_at": "2025-03-01T09:30:00Z",
        "bsn": "111222333",
        **change,
    }
    with pytest.raises(RowError) as caught:
        parse_row(fields, "x")
    assert word in str(caught.value)
    assert "111222333" not in str(caught.value)
    assert "123456789" not in str(caught.value)


class FakeIssuer:
    """Issues ``<domain>:<bsn>`` and remembers each call; refuses BSN 000000000."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], list[str], str]] = []

    def issue(
        self, bsns: list[str], audiences: list[str], purpose: str
    ) -> list[list[bytes] | None]:
        self.calls.append((list(bsns), list(audiences), purpose))
        return [None if b == "000000000" else [f"{audiences[0]}:{b}".encode()] for b in bsns]


def test_the_bsns_of_a_batch_are_issued_into_their_own_domain_in_one_call_each() -> None:
    fields = {"channel": "2", "topic": "afval", "org_unit": "kcc"}
    fields["occurred_at"] = "2025-03-01T09:00Z"
    rows = [
        parse_row({**fields, "domain": domain, "bsn": bsn}, f"x:{n}")
        for n, (domain, bsn) in enumerate(
            [("kcc", "111222333"), ("burgerzaken", "123456782"), ("kcc", ""), ("kcc", "1234567.82")]
        )
    ]
    issuer = FakeIssuer()
    subjects = issued_subjects(issuer, rows, 0)  # type: ignore[arg-type]
    assert subjects == [b"kcc:111222333", b"burgerzaken:123456782", b"", b"kcc:123456782"]
    assert issuer.calls == [
        (["111222333", "123456782"], ["kcc"], "contact-registration"),
        (["123456782"], ["burgerzaken"], "contact-registration"),
    ]
    assert [r.request(s).subject for r, s in zip(rows, subjects, strict=True)] == subjects
    refused = replace(rows[1], bsn="000000000")
    with pytest.raises(LoadError) as caught:
        issued_subjects(issuer, [rows[0], refused], 1000)  # type: ignore[arg-type]
    assert caught.value.index == 1001
