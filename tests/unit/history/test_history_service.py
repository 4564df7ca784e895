"""The history fan-out with fake peers: who is asked, what is merged, what is recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.gateway.history.domain import (
    OWN_DOMAIN,
    Basis,
    BasisKind,
    ComplaintState,
    ComplaintStatus,
    HistoryItem,
    HistoryQuery,
    ItemKind,
    Source,
)
from stadskamer.gateway.history.ports import Grant
from stadskamer.gateway.history.service import HistoryService
from tests.unit.consent.fakes import subject

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SUBJECT = subject(1, "kcc")
CONSENT = Basis(BasisKind.CONSENT, consent="consents/1", legal_basis="AVG art. 6 lid 1 sub a")
AGENT = Principal("agent-1", frozenset({"kcc"}), frozenset({"agent"}))


OPEN = ComplaintState(
    "KL-2026-000001", ComplaintStatus.RECEIVED, date(2026, 11, 30), False, date(2027, 1, 4), False
)


def _item(source: Source, hours_ago: int) -> HistoryItem:
    if source.kind is ItemKind.COMPLAINT:
        return HistoryItem(
            f"complaints/{source.domain}-{hours_ago}",
            NOW - timedelta(hours=hours_ago),
            source.domain,
            ItemKind.COMPLAINT,
            4,
            "",
            "burgerzaken",
            complaint=OPEN,
        )
    return HistoryItem(
        f"contacts/{source.domain}-{hours_ago}",
        NOW - timedelta(hours=hours_ago),
        source.domain,
        ItemKind.CONTACT,
        2,
        "parkeervergunning",
        "Publiekszaken",
    )


@dataclass
class FakePeers:
    """Answers like the real services would; remembers which domains were asked for data."""

    granted: set[str]
    queried: list[str] = field(default_factory=list)
    subjects: set[bytes] = field(default_factory=set)

    def issue_link_grant(
        self, subject: bytes, purpose: str, requester: str, target: str
    ) -> Grant | None:
        self.subjects.add(subject)
        return Grant(f"grant-for-{target}", CONSENT) if target in self.granted else None

    def convert(self, subject: bytes, target_domain: str, link_grant: str) -> bytes:
        assert link_grant == f"grant-for-{target_domain}"
        self.subjects.add(subject)
        return target_domain.encode()

    def own_items(
        self, source: Source, subject: bytes, start: datetime, limit: int
    ) -> list[HistoryItem]:
        self.queried.append(source.domain)
        self.subjects.add(subject)
        return [_item(source, 1), _item(source, 30)]

    def linked_items(
        self, source: Source, encrypted: bytes, link_grant: str, start: datetime, limit: int
    ) -> list[HistoryItem]:
        assert encrypted == source.domain.encode()
        self.queried.append(source.domain)
        return [_item(source, 5)]


@dataclass
class MemoryLog:
    records: list[ProcessingRecord] = field(default_factory=list)

    def append(self, record: ProcessingRecord) -> None:
        self.records.append(record)


def _query(max_items: int = 100, subject: bytes = SUBJECT) -> HistoryQuery:
    return HistoryQuery(
        subject, "kcc", "integrated-contact-history", NOW - timedelta(days=90), max_items
    )


SOURCES = [
    Source("kcc", ItemKind.CONTACT),
    Source("burgerzaken", ItemKind.CONTACT),
    Source("sociale-zaken", ItemKind.CONTACT),
    Source("klachten", ItemKind.COMPLAINT),
]


def _service(log: MemoryLog) -> HistoryService:
    return HistoryService(SOURCES, log, lambda: NOW)


def test_without_grants_only_the_own_domain_is_queried() -> None:
    peers, log = FakePeers(granted=set()), MemoryLog()
    history = _service(log).get_history(AGENT, _query(), peers)
    assert peers.queried == ["kcc"]
    assert {item.domain for item in history.items} == {"kcc"}
    assert history.consulted == [("kcc", OWN_DOMAIN)]


def test_granted_domains_are_merged_newest_first_with_their_basis() -> None:
    peers, log = FakePeers(granted={"burgerzaken"}), MemoryLog()
    history = _service(log).get_history(AGENT, _query(), peers)
    assert sorted(peers.queried) == ["burgerzaken", "kcc"]
    assert peers.subjects == {SUBJECT}
    assert [item.name for item in history.items] == [
        "contacts/kcc-1",
        "contacts/burgerzaken-5",
        "contacts/kcc-30",
    ]
    assert history.items[1].basis == CONSENT and history.items[0].basis == OWN_DOMAIN
    assert [domain for domain, _ in history.consulted] == ["burgerzaken", "kcc"]
    assert not history.truncated


def test_max_items_cuts_and_says_so() -> None:
    history = _service(MemoryLog()).get_history(
        AGENT, _query(2), FakePeers(granted={"burgerzaken"})
    )
    assert len(history.items) == 2 and history.truncated


def test_every_read_is_recorded_without_personal_data() -> None:
    log = MemoryLog()
    _service(log).get_history(AGENT, _query(), FakePeers(granted={"burgerzaken"}))
    (record,) = log.records
    assert (record.name, record.actor, record.requester_domain) == (
        "history.read",
        "agent-1",
        "kcc",
    )
    assert record.basis == "burgerzaken,kcc"
    assert (record.subject, record.subject_tagged) == ("", b"")


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (subject(1, "burgerzaken"), "WRONG_AUDIENCE"),
        (SUBJECT[2:98], "UNTAGGED_PSEUDONYM"),
    ],
)
def test_a_subject_that_is_not_a_tagged_pseudonym_of_the_requester_is_refused_first(
    bad: bytes, reason: str
) -> None:
    peers, log = FakePeers(granted={"burgerzaken"}), MemoryLog()
    with pytest.raises(InvalidArgument) as refused:
        _service(log).get_history(AGENT, _query(subject=bad), peers)
    assert refused.value.reason == reason and refused.value.violations[0].field == "subject"
    assert peers.queried == [] and peers.subjects == set() and log.records == []


def test_a_caller_acting_for_another_domain_is_refused_before_anything_is_asked() -> None:
    peers = FakePeers(granted={"burgerzaken"})
    with pytest.raises(PermissionDenied):
        _service(MemoryLog()).get_history(
            Principal("x", frozenset({"belastingen"}), frozenset({"agent"})), _query(), peers
        )
    assert peers.queried == []


def test_complaints_appear_only_with_a_grant_and_keep_their_state() -> None:
    without = _service(MemoryLog()).get_history(AGENT, _query(), FakePeers(granted=set()))
    assert all(item.kind is ItemKind.CONTACT for item in without.items)
    peers, log = FakePeers(granted={"klachten"}), MemoryLog()
    history = _service(log).get_history(AGENT, _query(), peers)
    (complaint,) = [item for item in history.items if item.kind is ItemKind.COMPLAINT]
    assert complaint.domain == "klachten" and complaint.complaint == OPEN
    assert complaint.basis == CONSENT
    assert sorted(peers.queried) == ["kcc", "klachten"]
    assert log.records[0].basis == "kcc,klachten"


def test_the_complaint_coordinator_sees_the_complaints_as_its_own_domain() -> None:
    coordinator = Principal("coordinator-1", frozenset({"klachten"}), frozenset({"coordinator"}))
    query = HistoryQuery(
        subject(1, "klachten"), "klachten", "complaint-handling", NOW - timedelta(days=90)
    )
    peers = FakePeers(granted={"kcc"})
    history = _service(MemoryLog()).get_history(coordinator, query, peers)
    assert dict(history.consulted) == {"kcc": CONSENT, "klachten": OWN_DOMAIN}
    complaints = [item for item in history.items if item.kind is ItemKind.COMPLAINT]
    assert [item.basis for item in complaints] == [OWN_DOMAIN, OWN_DOMAIN]
