"""The history fan-out with fake peers: who is asked, what is merged, what is recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from stadskamer import pep
from stadskamer.common.auth import Principal
from stadskamer.common.errors import PermissionDenied
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.gateway.history.domain import (
    OWN_DOMAIN,
    Basis,
    BasisKind,
    HistoryItem,
    HistoryQuery,
    ItemKind,
)
from stadskamer.gateway.history.ports import Grant
from stadskamer.gateway.history.service import HistoryService

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SUBJECT = pep.encrypt(
    pep.identity_point("111222333"), pep.public_key(pep.random_scalar())
).to_bytes()
CONSENT = Basis(BasisKind.CONSENT, consent="consents/1", legal_basis="AVG art. 6 lid 1 sub a")
AGENT = Principal("agent-1", frozenset({"kcc"}), frozenset({"agent"}))


def _item(domain: str, hours_ago: int) -> HistoryItem:
    return HistoryItem(
        f"contacts/{domain}-{hours_ago}",
        NOW - timedelta(hours=hours_ago),
        domain,
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

    def issue_link_grant(
        self, subject: bytes, purpose: str, requester: str, target: str
    ) -> Grant | None:
        return Grant(f"grant-for-{target}", CONSENT) if target in self.granted else None

    def transcrypt(self, subject: bytes, target_domain: str, link_grant: str) -> bytes:
        assert link_grant == f"grant-for-{target_domain}"
        return target_domain.encode()

    def own_items(
        self, domain: str, subject: bytes, start: datetime, limit: int
    ) -> list[HistoryItem]:
        self.queried.append(domain)
        return [_item(domain, 1), _item(domain, 30)]

    def linked_items(
        self, domain: str, encrypted: bytes, link_grant: str, start: datetime, limit: int
    ) -> list[HistoryItem]:
        assert encrypted == domain.encode()
        self.queried.append(domain)
        return [_item(domain, 5)]


@dataclass
class MemoryLog:
    records: list[ProcessingRecord] = field(default_factory=list)

    def append(self, record: ProcessingRecord) -> None:
        self.records.append(record)


def _query(max_items: int = 100) -> HistoryQuery:
    return HistoryQuery(
        SUBJECT, "kcc", "integrated-contact-history", NOW - timedelta(days=90), max_items
    )


def _service(log: MemoryLog) -> HistoryService:
    return HistoryService(["kcc", "burgerzaken", "sociale-zaken"], log, lambda: NOW)


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


def test_a_caller_acting_for_another_domain_is_refused_before_anything_is_asked() -> None:
    peers = FakePeers(granted={"burgerzaken"})
    with pytest.raises(PermissionDenied):
        _service(MemoryLog()).get_history(
            Principal("x", frozenset({"belastingen"}), frozenset({"agent"})), _query(), peers
        )
    assert peers.queried == []
