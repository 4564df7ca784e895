"""Test doubles of the surveys ports: pseudonyms, consents, delivery, log and a clock.

The pseudonym stand-in does what the pseudonym service and the domain keys do together: it
decrypts a polymorphic pseudonym with the test master key and applies a fixed onderzoek
factor, and converts a klachten pseudonym (encrypted under the test klachten key) with the
factor ratio, so one BSN always gives the same 32-byte onderzoek pseudonym either way.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from stadskamer import pep
from stadskamer.client import make_polymorphic_pseudonym
from stadskamer.common.errors import InvalidArgument, Unavailable
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.pep import group
from stadskamer.surveys.domain import AddressKind
from stadskamer.surveys.ports import GrantedConsent, LinkDenied, Message

MASTER_SECRET = pep.random_scalar()
MASTER_PUBLIC = pep.public_key(MASTER_SECRET)
ONDERZOEK_FACTOR = pep.random_scalar()
KLACHTEN_FACTOR = pep.random_scalar()
ONDERZOEK_SECRET = pep.random_scalar()
KLACHTEN_SECRET = pep.random_scalar()
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


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


def polymorphic(bsn: str) -> bytes:
    """A fresh polymorphic pseudonym of ``bsn`` under the test master key."""
    return make_polymorphic_pseudonym(bsn, MASTER_PUBLIC)


def onderzoek_pseudonym(bsn: str) -> bytes:
    """The onderzoek pseudonym the stand-in gives ``bsn``."""
    return group.point_mul(ONDERZOEK_FACTOR, pep.identity_point(bsn))


def pushed_subject(bsn: str) -> bytes:
    """The klachten pseudonym of ``bsn`` encrypted under the klachten key, as in an event."""
    klachten = group.point_mul(KLACHTEN_FACTOR, pep.identity_point(bsn))
    return pep.encrypt(klachten, pep.public_key(KLACHTEN_SECRET)).to_bytes()


class FakeSubjects:
    """The pseudonym service, the consent service's link grants and the onderzoek key."""

    def __init__(self) -> None:
        self.down = False
        self.denial = ""
        self.calls = 0

    def own(self, polymorphic: bytes) -> bytes:
        """Decrypt with the master key and apply the onderzoek factor."""
        self._call()
        try:
            point = pep.decrypt(pep.Ciphertext.from_bytes(polymorphic), MASTER_SECRET)
        except pep.InvalidEncodingError:
            raise InvalidArgument.for_field("subject", "not a polymorphic pseudonym") from None
        return group.point_mul(ONDERZOEK_FACTOR, point)

    def pushed(self, encrypted: bytes, source_domain: str) -> bytes:
        """Convert a pushed klachten pseudonym, unless a denial is set."""
        self._call()
        if self.denial:
            raise LinkDenied("the consent service does not allow this link", self.denial)
        klachten = pep.decrypt(pep.Ciphertext.from_bytes(encrypted), KLACHTEN_SECRET)
        ratio = group.scalar_mul(ONDERZOEK_FACTOR, group.scalar_invert(KLACHTEN_FACTOR))
        return group.point_mul(ratio, klachten)

    def encrypted(self, pseudonym: bytes) -> bytes:
        """The onderzoek pseudonym under the onderzoek test key."""
        return pep.encrypt(pseudonym, pep.public_key(ONDERZOEK_SECRET)).to_bytes()

    def _call(self) -> None:
        self.calls += 1
        if self.down:
            raise Unavailable("the pseudonyms service is unavailable", "DEPENDENCY_UNAVAILABLE")


class FakeConsents:
    """Research-panel consents per onderzoek pseudonym, and recorded follow-up consents."""

    def __init__(self, subjects: FakeSubjects) -> None:
        self._subjects = subjects
        self.panel: set[bytes] = set()
        self.followups: dict[str, bytes] = {}
        self.checks = 0
        self.down = False
        self._lock = threading.Lock()

    def _pseudonym(self, subject: bytes, subject_domain: str) -> bytes:
        if subject_domain == "onderzoek":
            return pep.decrypt(pep.Ciphertext.from_bytes(subject), ONDERZOEK_SECRET)
        return self._subjects.own(subject)

    def allowed(self, subject: bytes, subject_domain: str, purpose: str, target: str) -> bool:
        """Whether the pseudonym has a research-panel consent."""
        if self.down:
            raise Unavailable("the consent service is unavailable", "DEPENDENCY_UNAVAILABLE")
        with self._lock:
            self.checks += 1
        return (
            purpose == "research-panel" and self._pseudonym(subject, subject_domain) in self.panel
        )

    def grant_followup(
        self, request_id: str, encrypted: bytes, purpose_version: int
    ) -> GrantedConsent:
        """Record the follow-up consent once per request id."""
        if self.down:
            raise Unavailable("the consent service is unavailable", "DEPENDENCY_UNAVAILABLE")
        with self._lock:
            self.followups.setdefault(request_id, self._pseudonym(encrypted, "onderzoek"))
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
