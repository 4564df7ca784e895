"""Test doubles of the surveys ports: consents, delivery, log and a clock.

The pseudonym service is not faked: the use-case tests run the real one in process
(:mod:`tests.support.pseudonyms`). :class:`FakeConsents` stands in for the consent service:
it reads the citizens' onderzoek pseudonyms with the test deployment's keys (as the consent
service would convert them), keeps research-panel consents by citizen, signs push grants with
the test consent key, and records follow-up consents.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from stadskamer.common.auth import Principal
from stadskamer.common.errors import Unavailable
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.surveys.domain import AddressKind
from stadskamer.surveys.ports import GrantedConsent, LinkDenied, Message
from tests.support.pseudonyms import LocalPseudonyms

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
SURVEYS = Principal("surveys-service", frozenset({"onderzoek"}), frozenset({"service"}))
SURVEY_RULE = "onderzoek-satisfaction-survey-public-task"


def bsns(count: int, start: int = 10_000_000) -> list[str]:
    """``count`` distinct BSNs that pass the 11-check."""
    found: list[str] = []
    number = start
    while len(found) < count:
        number += 1
        first = f"{number:08d}"
        check = sum(w * int(d) for w, d in zip(range(9, 1, -1), first, strict=True)) % 11
        if check <= 9:
            found.append(first + str(check))
    return found


def consent_name(pseudonym: bytes) -> str:
    """The name the fake gives a citizen's research-panel consent."""
    return "consents/" + hashlib.sha256(pseudonym).hexdigest()[:32]


class FakeConsents:
    """Research-panel consents per onderzoek pseudonym, push grants, follow-up consents."""

    def __init__(self, pseudonyms: LocalPseudonyms) -> None:
        self._pseudonyms = pseudonyms
        self.panel: set[bytes] = set()
        self.followups: dict[str, bytes] = {}
        self.checks = 0
        self.grants = 0
        self.denial = ""
        self.down = False
        self._lock = threading.Lock()

    def _call(self) -> None:
        if self.down:
            raise Unavailable("the consent service is unavailable", "DEPENDENCY_UNAVAILABLE")
        with self._lock:
            self.checks += 1

    def check(self, subject: bytes, purpose: str, target: str) -> str | None:
        """The research-panel consent of the citizen, if there is one."""
        self._call()
        pseudonym = self._pseudonyms.pseudonym(subject)
        if purpose == "research-panel" and pseudonym in self.panel:
            return consent_name(pseudonym)
        return None

    def active(self, name: str) -> bool:
        """Whether the named consent is (still) given."""
        self._call()
        return name in {consent_name(p) for p in self.panel}

    def push_grant(self, subject: bytes, sender: str) -> str:
        """A push grant for satisfaction-survey, unless a denial is set."""
        self._call()
        if self.denial:
            raise LinkDenied("the consent service does not allow this link", self.denial)
        with self._lock:
            self.grants += 1
        _, token = self._pseudonyms.grant(
            subject, "onderzoek", sender, "satisfaction-survey", SURVEYS.subject, SURVEY_RULE
        )
        return token

    def grant_followup(
        self, request_id: str, subject: bytes, purpose_version: int
    ) -> GrantedConsent:
        """Record the follow-up consent once per request id."""
        self._call()
        with self._lock:
            self.followups.setdefault(request_id, self._pseudonyms.pseudonym(subject))
        name = "consents/" + hashlib.sha256(request_id.encode()).hexdigest()[:32]
        return GrantedConsent(name, f"receipt-of-{name}")


class MemoryDelivery:
    """Keeps messages in memory; ``failing`` makes sending raise."""

    kinds = frozenset({AddressKind.EMAIL, AddressKind.SMS})

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.failing = False
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        """Keep or refuse one message."""
        if self.failing:
            raise OSError("the mail system is down")
        with self._lock:
            self.messages.append(message)


class MemoryLog:
    """Keeps records in memory; ``failing`` makes every append raise UNAVAILABLE."""

    def __init__(self) -> None:
        self.records: list[ProcessingRecord] = []
        self.failing = False
        self._lock = threading.Lock()

    def append(self, record: ProcessingRecord) -> None:
        """Store or refuse one record."""
        if self.failing:
            raise Unavailable("the processing log cannot be written", "PROCESSING_LOG_UNAVAILABLE")
        with self._lock:
            self.records.append(record)


@dataclass
class Clock:
    """A settable clock."""

    now: datetime = START
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        with self.lock:
            self.now += delta


def token_in(message: Message) -> str:
    """The survey token of an invitation message's link."""
    return message.body.split("?t=", 1)[1].split()[0]
