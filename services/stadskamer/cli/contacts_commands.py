"""``stadskamer demo`` and ``stadskamer import``: load contacts through the public gRPC API.

Both send BatchRegisterContacts calls of up to 1000 contacts (two in flight). Just before a
batch is sent, its BSNs are issued by the pseudonym service into each row's domain (one
IssuePolymorphicPseudonyms call per domain and batch), so the token needs the roles
``issuer`` and ``system`` (the bulk issuance limit) besides the domains; the contacts service
sees only the tagged pseudonyms. Both are idempotent: every contact carries a request id, so
running them again writes nothing new.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.api.contacts.v1 import contacts_pb2_grpc as pb_grpc
from stadskamer.cli.contacts_demo import demo_month
from stadskamer.cli.contacts_rows import ContactRow, RowError, parse_row
from stadskamer.client import PseudonymClient
from stadskamer.common.errors import StadskamerError
from stadskamer.contacts.domain import DEFAULT_DOMAINS

CHUNK = 1000
IN_FLIGHT = 2
PURPOSE = "contact-registration"


class LoadError(RuntimeError):
    """The server refused a contact: ``index`` in the rows sent, and the field."""

    def __init__(self, index: int | None, message: str) -> None:
        super().__init__(message)
        self.index = index


@dataclass
class Progress:
    """A plain-text progress bar on standard error."""

    label: str
    total: int
    started: float = 0.0
    done: int = 0

    def update(self, done: int) -> None:
        """Show ``done`` of ``total``."""
        self.started = self.started or time.perf_counter()
        self.done = done
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        filled = int(30 * done / max(self.total, 1))
        bar = "#" * filled + "." * (30 - filled)
        end = "" if sys.stderr.isatty() and done < self.total else "\n"
        print(
            f"\r{self.label} [{bar}] {done}/{self.total} contacts, {done / elapsed:.0f}/s",
            end=end,
            file=sys.stderr,
            flush=True,
        )


def _auth(token: str) -> tuple[tuple[str, str | bytes], ...]:
    return (("authorization", f"Bearer {token}"),)


def _refusal(error: grpc.RpcError, start: int) -> LoadError:
    status = rpc_status.from_call(error) if isinstance(error, grpc.Call) else None
    code = error.code().name if isinstance(error, grpc.Call) else "UNKNOWN"
    details: list[any_pb2.Any] = list(status.details) if status else []
    for detail in details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad) and bad.field_violations:
            violation = bad.field_violations[0]
            position, _, name = violation.field.removeprefix("requests[").partition("].")
            if position.isdigit():
                return LoadError(start + int(position), f"{name}: {violation.description}")
    text = error.details() if isinstance(error, grpc.Call) else ""
    return LoadError(None, f"{code}: {text}")


def issued_subjects(issuer: PseudonymClient, rows: Sequence[ContactRow], start: int) -> list[bytes]:
    """Per row the tagged pseudonym of its BSN in its domain (empty without a BSN), issued in
    one call per domain. Raises :class:`LoadError` when the pseudonym service refuses."""
    subjects = [b""] * len(rows)
    by_domain: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        if row.bsn:
            by_domain[row.domain].append(index)
    for domain, positions in by_domain.items():
        try:
            answers = issuer.issue([rows[i].bsn for i in positions], [domain], PURPOSE)
        except StadskamerError as error:
            raise LoadError(None, f"issuing pseudonyms: {error.reason}: {error}") from None
        for index, answer in zip(positions, answers, strict=True):
            if answer is None:
                raise LoadError(start + index, "bsn: not a valid BSN")
            subjects[index] = answer[0]
    return subjects


def register_rows(
    channel: grpc.Channel,
    token: str,
    rows: Sequence[ContactRow],
    progress: Progress,
    issuer: PseudonymClient,
) -> list[pb.RegisterContactResponse]:
    """Register ``rows`` in batches, each batch's BSNs issued by ``issuer`` just before.

    Raises :class:`LoadError` on the first refusal.
    """
    metadata = _auth(token)
    stub = pb_grpc.ContactsServiceStub(channel)
    pending: deque[tuple[int, grpc.Future]] = deque()  # type: ignore[type-arg]
    results: list[pb.RegisterContactResponse] = []
    progress.update(0)

    def collect() -> None:
        start, future = pending.popleft()
        try:
            results.extend(future.result().responses)
        except grpc.RpcError as error:
            raise _refusal(error, start) from None
        progress.update(len(results))

    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        subjects = issued_subjects(issuer, chunk, start)
        batch = [row.request(subject) for row, subject in zip(chunk, subjects, strict=True)]
        request = pb.BatchRegisterContactsRequest(requests=batch)
        future = stub.BatchRegisterContacts.future(request, metadata=metadata, timeout=300)
        pending.append((start, future))
        if len(pending) >= IN_FLIGHT:
            collect()
    while pending:
        collect()
    return results


def read_rows(path: Path) -> tuple[list[ContactRow], list[int]]:
    """The contacts of a JSON-lines or CSV file and the line number of each."""
    rows: list[ContactRow] = []
    lines: list[int] = []
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            entries = ((reader.line_num, record) for record in reader)
        else:
            entries = ((n, _json_object(t)) for n, t in enumerate(handle, 1) if t.strip())
        number = 0
        try:
            for number, fields in entries:
                rows.append(parse_row(fields, f"{path.name}:{number}"))
                lines.append(number)
        except RowError as error:
            raise RowError(f"line {number or len(lines) + 1}: {error}") from None
    return rows, lines


def _json_object(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise RowError("not a JSON object")
    return value


def signal_lines(channel: grpc.Channel, token: str) -> list[str]:
    """``domain: rising topics`` for every default domain the token may read."""
    stub = pb_grpc.ContactsServiceStub(channel)
    found = []
    for domain in DEFAULT_DOMAINS:
        request = pb.GetTopicSignalsRequest(domain=domain)
        try:
            report = stub.GetTopicSignals(request, metadata=_auth(token), timeout=30)
        except grpc.RpcError:
            continue
        rising = [t.topic for t in report.topics if t.rising]
        if rising:
            found.append(f"{domain}: {', '.join(rising)}")
    return found


def load_demo(channel: grpc.Channel, token: str, issuer: PseudonymClient) -> str:
    """Load the demo month, BSNs issued by ``issuer``; returns a one-line report."""
    rows = demo_month(datetime.now(UTC))
    results = register_rows(channel, token, rows, Progress("demo", len(rows)), issuer)
    repeats = sum(1 for r in results if r.repeat.is_repeat)
    rising = "; ".join(signal_lines(channel, token)) or "none"
    return f"demo data: {len(results)} contacts, {repeats} repeat contacts; rising: {rising}"


def load_demo_when_empty(address: str, token: str) -> None:
    """For ``up --demo``: wait for the server, load the demo month if there are no contacts."""
    with grpc.insecure_channel(address) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=60)
            stub = pb_grpc.ContactsServiceStub(channel)
            existing = stub.ListContacts(
                pb.ListContactsRequest(page_size=1),
                metadata=_auth(token),
                timeout=30,
            )
            if existing.contacts:
                print("demo data: contacts exist already; not loaded", flush=True)
                return
            print(load_demo(channel, token, PseudonymClient(channel, token, 30)), flush=True)
        except (grpc.RpcError, grpc.FutureTimeoutError, LoadError) as error:
            print(f"demo data: not loaded ({type(error).__name__})", file=sys.stderr)


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``demo`` and ``import``."""
    token = os.environ.get("STADSKAMER_TOKEN")
    demo = commands.add_parser("demo", help="load a synthetic month of contacts (idempotent)")
    importing = commands.add_parser("import", help="register contacts from a .jsonl or .csv file")
    for parser in (demo, importing):
        parser.add_argument("--address", default="127.0.0.1:50051", help="contacts host:port")
        parser.add_argument(
            "--pseudonyms-address", help="pseudonym service host:port (default: --address)"
        )
        parser.add_argument(
            "--token",
            default=token,
            required=token is None,
            help="or STADSKAMER_TOKEN (its domains, and roles issuer and system)",
        )
    demo.set_defaults(handler=run_demo)
    importing.add_argument("file", type=Path, help="JSON lines (.jsonl) or CSV with a header")
    importing.set_defaults(handler=run_import)


def _issuer(options: argparse.Namespace) -> tuple[grpc.Channel, PseudonymClient]:
    """The channel to the pseudonym service and its client with the command's token."""
    channel = grpc.insecure_channel(options.pseudonyms_address or options.address)
    return channel, PseudonymClient(channel, options.token, 30)


def run_demo(options: argparse.Namespace) -> int:
    """Load the demo month into a running server."""
    pseudonyms, issuer = _issuer(options)
    with pseudonyms, grpc.insecure_channel(options.address) as channel:
        try:
            print(load_demo(channel, options.token, issuer))
        except (grpc.RpcError, LoadError) as error:
            print(f"stadskamer demo: {error}", file=sys.stderr)
            return 1
    return 0


def run_import(options: argparse.Namespace) -> int:
    """Register every contact of a file."""
    try:
        rows, lines = read_rows(options.file)
    except (OSError, RowError, UnicodeDecodeError) as error:
        print(f"stadskamer import: {options.file.name}: {error}", file=sys.stderr)
        return 1
    pseudonyms, issuer = _issuer(options)
    with pseudonyms, grpc.insecure_channel(options.address) as channel:
        try:
            progress = Progress("import", len(rows))
            results = register_rows(channel, options.token, rows, progress, issuer)
        except LoadError as error:
            where = f"line {lines[error.index]}: " if error.index is not None else ""
            print(f"stadskamer import: {where}{error}", file=sys.stderr)
            return 1
        except grpc.RpcError as error:
            print(f"stadskamer import: {error.code().name}", file=sys.stderr)  # type: ignore[attr-defined]
            return 1
    repeats = sum(1 for r in results if r.repeat.is_repeat)
    print(f"imported {len(results)} contacts ({repeats} repeat contacts)")
    return 0
