"""Test doubles of the consent service's ports: a movable clock, a resolver and a log."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, Unavailable
from stadskamer.common.processing_log import ProcessingRecord

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until moved."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        with self._lock:
            self._now += delta


class FakeResolver:
    """Maps a 96-byte subject to a deterministic 32-byte pseudonym; can be switched off."""

    def __init__(self) -> None:
        self.available = True
        self.calls = 0
        self.subject_domains: list[str] = []

    def consent_pseudonym(self, polymorphic: bytes, subject_domain: str = "") -> bytes:
        """SHA-256 of the subject bytes (so one subject keeps one pseudonym)."""
        self.calls += 1
        self.subject_domains.append(subject_domain)
        if not self.available:
            raise Unavailable("the pseudonyms service is unavailable", "DEPENDENCY_UNAVAILABLE")
        if len(polymorphic) != 96:
            raise InvalidArgument.for_field("subject", "not a polymorphic pseudonym")
        return hashlib.sha256(polymorphic).digest()


class MemoryLog:
    """Keeps records in memory; ``failing`` makes every append raise UNAVAILABLE."""

    def __init__(self) -> None:
        self.records: list[ProcessingRecord] = []
        self.failing = False

    def append(self, record: ProcessingRecord) -> None:
        """Store or refuse one record."""
        if self.failing:
            raise Unavailable("the processing log cannot be written", "PROCESSING_LOG_UNAVAILABLE")
        self.records.append(record)


def subject(person: int) -> bytes:
    """A stand-in polymorphic pseudonym (96 bytes) for person number ``person``."""
    return hashlib.sha512(f"person-{person}".encode()).digest() + bytes(32)


def agent(domains: tuple[str, ...] = ("kcc",), name: str = "agent-7") -> Principal:
    """An agent of ``domains``."""
    return Principal(name, frozenset(domains), frozenset({"agent"}))


def system(domains: tuple[str, ...] = ("kcc",)) -> Principal:
    """The self-service front end."""
    return Principal("mijn-gemeente", frozenset(domains), frozenset({"system"}))
