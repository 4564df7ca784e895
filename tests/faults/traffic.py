"""Requests with request ids, bursts of them from threads, and counting what got stored."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import create_engine, text

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as cpb
from stadskamer.api.complaints.v1 import complaints_pb2_grpc as cpb_grpc
from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.api.contacts.v1 import contacts_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, PseudonymClient
from stadskamer.common.errors import StadskamerError, Unavailable
from stadskamer.common.keys import KeyLayout
from stadskamer.common.request_ids import RequestDigest
from stadskamer.common.status import code_of

DOMAINS = ["kcc", "burgerzaken", "sociale-zaken", "belastingen", "klachten", "onderzoek"]
ROLES = ["system", "agent", "issuer"]
BSNS = ["111222333", "123456782", "012345672"]


def metadata(token: str) -> tuple[tuple[str, str], ...]:
    """The bearer header."""
    return (("authorization", f"Bearer {token}"),)


@dataclass(frozen=True)
class Citizen:
    """A test citizen, issued afresh for every call that names it (each issue is claimed once)."""

    client: PseudonymClient
    bsn: str

    def subject(self, domain: str, attempts: int = 20) -> bytes:
        """A fresh tagged pseudonym of the citizen for ``domain``; issuance is retried while
        the pseudonym service (just restarted, or its audit log) is unavailable: what these
        tests put under fault is the write that follows, not the issuance."""
        for _ in range(attempts - 1):
            try:
                return self.client.issue_one(self.bsn, domain, "contact-registration")
            except Unavailable:
                time.sleep(0.25)
        return self.client.issue_one(self.bsn, domain, "contact-registration")


@dataclass(frozen=True)
class StockedCitizen:
    """A test citizen with pseudonyms issued up front (each handed out once), for tests that
    put the writes under fault and not the issuance; issues afresh when the stock is empty."""

    citizen: Citizen
    stock: dict[str, deque[bytes]]

    @classmethod
    def of(cls, citizen: Citizen, domains: Iterable[str], count: int) -> StockedCitizen:
        """``count`` pseudonyms of ``citizen`` issued now for each of ``domains``."""
        stock: dict[str, deque[bytes]] = {}
        for domain in domains:
            answers = citizen.client.issue([citizen.bsn] * count, [domain], "contact-registration")
            stock[domain] = deque(answer[0] for answer in answers if answer)
        return cls(citizen, stock)

    def subject(self, domain: str) -> bytes:
        """The next stocked pseudonym for ``domain``."""
        try:
            return self.stock[domain].popleft()
        except (KeyError, IndexError):
            return self.citizen.subject(domain)


def subjects(channel: grpc.Channel, token: str, count: int = 6) -> list[Citizen]:
    """The test citizens, issued through the pseudonym service at ``channel``."""
    client = PseudonymClient(channel, token, timeout=10.0)
    return [Citizen(client, BSNS[i % len(BSNS)]) for i in range(count)]


def _ago(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(seconds=seconds))
    return stamp


def contact_request(request_id: str, subject: bytes) -> pb.RegisterContactRequest:
    """A valid RegisterContact with ``request_id``."""
    return pb.RegisterContactRequest(
        request_id=request_id,
        domain="kcc",
        subject=subject,
        channel=channel_pb2.CHANNEL_PHONE,
        topic="afval",
        org_unit="kcc-telefonie",
        occurred_at=_ago(60),
        summary="Container niet geleegd.",
    )


def complaint_request(request_id: str, subject: bytes) -> cpb.FileComplaintRequest:
    """A valid FileComplaint with ``request_id``."""
    return cpb.FileComplaintRequest(
        request_id=request_id,
        subject=subject,
        channel=channel_pb2.CHANNEL_WEB_FORM,
        org_unit="burgerzaken",
        about_official=True,
        description="De balie was onvriendelijk.",
    )


@dataclass(frozen=True)
class Writer:
    """RegisterContact and FileComplaint with one token, over given channels."""

    contacts: grpc.Channel
    complaints: grpc.Channel
    token: str

    def register(
        self, request_id: str, citizen: Citizen | StockedCitizen, timeout: float = 10.0
    ) -> str:
        """RegisterContact for a freshly issued kcc pseudonym; the contact's resource name."""
        stub = pb_grpc.ContactsServiceStub(self.contacts)
        request = contact_request(request_id, citizen.subject("kcc"))
        response = stub.RegisterContact(request, metadata=metadata(self.token), timeout=timeout)
        return str(response.contact.name)

    def file(
        self, request_id: str, citizen: Citizen | StockedCitizen, timeout: float = 10.0
    ) -> str:
        """FileComplaint for a freshly issued klachten pseudonym; the case number."""
        stub = cpb_grpc.ComplaintsServiceStub(self.complaints)
        request = complaint_request(request_id, citizen.subject("klachten"))
        response = stub.FileComplaint(request, metadata=metadata(self.token), timeout=timeout)
        return str(response.complaint.case_number)


_CODES = {code.value[0]: code for code in grpc.StatusCode}


def attempt(call: Callable[[], str]) -> tuple[str | None, grpc.StatusCode | None]:
    """Run one call; (result, None) or (None, status code of the failure, also when the
    pseudonym client refused or could not reach the pseudonym service)."""
    try:
        return call(), None
    except grpc.RpcError as error:
        return None, error.code()
    except StadskamerError as error:
        return None, _CODES[code_of(error)]


def in_threads(
    calls: Iterable[Callable[[], str]], threads: int = 8
) -> list[tuple[str | None, grpc.StatusCode | None]]:
    """Run every call on a pool of ``threads``; each call's :func:`attempt` outcome, in order."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(attempt, calls))


def stored_requests(
    url: str, table: str, keys: KeyLayout, request_ids: Iterable[str]
) -> Counter[str]:
    """How often each of ``request_ids`` is stored in ``table`` (contacts: kcc, complaints:
    klachten), found by its keyed digest; a digest of none of them counts as ``"?"``."""
    domain = {"contacts": "kcc", "complaints": "klachten"}[table]
    digest = RequestDigest(DomainKey.from_file(keys.domain_key(domain)).secret_key)
    names = {digest(request_id).hex(): request_id for request_id in request_ids}
    return Counter(
        names.get(value, "?") for value in stored(url, table, "request_digest").elements()
    )


def stored(url: str, table: str, column: str) -> Counter[str]:
    """How often each value of ``column`` occurs in ``table`` of the database at ``url``."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(f'SELECT "{column}" FROM "{table}"'))
            return Counter(_text(row[0]) for row in rows)
    finally:
        engine.dispose()


def _text(value: object) -> str:
    """A stored value as text (bytes as hex)."""
    return bytes(value).hex() if isinstance(value, bytes | memoryview) else str(value)
