"""Helpers of the surveys end-to-end tests: callers of the stack's services, outbox reading."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc

from stadskamer.api.consent.v1 import consent_pb2_grpc
from stadskamer.api.events.v1 import events_pb2_grpc
from stadskamer.api.surveys.v1 import surveys_pb2_grpc
from stadskamer.client import PseudonymClient
from tests.support.citizens import Citizens
from tests.support.stack import Stack

T = TypeVar("T")
Metadata = list[tuple[str, str]]


@dataclass
class Callers:
    """Stubs of the stack and bearer metadata for the roles the tests play."""

    stack: Stack

    @property
    def surveys(self) -> surveys_pb2_grpc.SurveysServiceStub:
        """The SurveysService."""
        return surveys_pb2_grpc.SurveysServiceStub(self.stack.channel)

    @property
    def sink(self) -> events_pb2_grpc.EventSinkServiceStub:
        """The EventSinkService (served by the surveys component)."""
        return events_pb2_grpc.EventSinkServiceStub(self.stack.channel)

    @property
    def consent(self) -> consent_pb2_grpc.ConsentServiceStub:
        """The ConsentService."""
        return consent_pb2_grpc.ConsentServiceStub(self.stack.channel)

    def auth(self, sub: str, domains: list[str], roles: list[str]) -> Metadata:
        """Bearer metadata with a fresh token."""
        return [("authorization", f"Bearer {self.stack.token(sub, domains, roles)}")]

    def subject(self, bsn: str, domain: str = "onderzoek") -> bytes:
        """A fresh tagged pseudonym of ``bsn`` for ``domain``, as a front end has it issued."""
        return Citizens(self.stack.channel, self.stack.issuer).subject(bsn, domain)

    def pushed(self, bsn: str, domain: str) -> bytes:
        """What a sender of ``domain`` puts in an event: a fresh reference of its own (its
        service claims an issued pseudonym, then has the stored reference refreshed)."""
        token = self.stack.token(f"{domain}-service", [domain], ["service"])
        sender = PseudonymClient(self.stack.channel, token)
        reference = sender.claim(self.subject(bsn, domain), domain).reference
        return sender.convert(reference, domain)


def outbox(stack: Stack) -> list[dict[str, str]]:
    """The message files the surveys service wrote for the mail system, oldest first."""
    folder = stack.data_dir / "outbox" / "surveys"
    files = (
        sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
    )
    return [json.loads(path.read_text()) for path in files]


def token_of(message: dict[str, str]) -> str:
    """The survey token in an invitation message."""
    return message["body"].split("?t=", 1)[1].split()[0]


def eventually(probe: Callable[[], T | None], seconds: float = 20.0) -> T:
    """Poll ``probe`` until it returns something, or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = probe()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
            found = None
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("the expected state was not reached in time")
        time.sleep(0.05)


def database_files(data_dir: Path, service: str) -> list[Path]:
    """A service's SQLite file with its write-ahead log and shared-memory files."""
    return [p for p in data_dir.glob(f"{service}.db*") if p.is_file()]
