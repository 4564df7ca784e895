"""``stadskamer audit verify | prune | export | report``: the privacy officer's tools.

``verify`` and ``prune`` read the processing log's database directly (embedded data folder or
``--database-url``); ``export`` and ``report`` ask the running audit service (ListProcessing,
which logs every query) with the officer's token. ``export`` reads the BSN from standard input,
or from a hidden prompt on a terminal, never from the command line, and has it issued (the
token needs the roles ``privacy-officer`` and ``issuer``): into ``audit``, which gives one
pseudonym per reporting domain for ListProcessing, and, for the consents, into a domain of the
token (``--consents-domain``, default the token's first domain).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import jwt

from stadskamer import pep
from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.api.consent.v1 import consent_pb2 as consent_pb
from stadskamer.api.consent.v1 import consent_pb2_grpc as consent_grpc
from stadskamer.audit import anomalies, messages, subject_access
from stadskamer.audit.activities import ActivityRegister
from stadskamer.audit.adapters.database import audit_engine
from stadskamer.audit.adapters.log_writer import LogWriter
from stadskamer.audit.adapters.retention import prune_expired
from stadskamer.audit.adapters.verifier import Tampered, verify_log
from stadskamer.audit.domain import LogRecord
from stadskamer.audit.settings import activities_file
from stadskamer.audit.tree_heads import TreeHeadSigner
from stadskamer.cli.token_commands import parse_duration
from stadskamer.client import PseudonymClient
from stadskamer.common.db import sqlite_url
from stadskamer.common.errors import StadskamerError
from stadskamer.common.interceptors import ClientMetadataInterceptor
from stadskamer.common.keys import KeyLayout, read_ed25519_private_key, read_ed25519_public_key
from stadskamer.common.settings import ConfigurationError
from stadskamer.pep import tags

PAGE_SIZE = 1000
AUDIT_AUDIENCE = "audit"
REPORT_PREFIX = "audit/"
EXPORT_PURPOSE = "subject-access"


def add_parsers(commands: argparse._SubParsersAction, data_dir: Path) -> None:  # type: ignore[type-arg]
    """Register the ``audit`` command group."""
    audit = commands.add_parser("audit", help="the processing log: verify, prune, export, report")
    actions = audit.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="recompute the log and check every signed head")
    _database_options(verify, data_dir)
    verify.add_argument("--public-key", type=Path, help="default: the data folder's audit key")
    verify.set_defaults(handler=run_verify)
    prune = actions.add_parser("prune", help="remove the leading records past their retention")
    _database_options(prune, data_dir)
    prune.add_argument("--signing-key", type=Path, help="default: the data folder's audit key")
    prune.add_argument("--actor", default="audit-retention", help="who prunes (logged)")
    prune.set_defaults(handler=run_prune)
    export = actions.add_parser("export", help="a citizen's processing and consents (AVG 15)")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--without-consents", action="store_true", help="processing only")
    export.add_argument(
        "--consents-domain", help="a domain of the token to list consents under (default: first)"
    )
    _service_options(export)
    export.set_defaults(handler=run_export)
    report = actions.add_parser("report", help="use per actor and purpose, unusual access")
    report.add_argument("--since", required=True, help="ISO date/time, or a duration like 7d")
    report.add_argument("--minimum", type=int, default=anomalies.MINIMUM)
    _service_options(report)
    report.set_defaults(handler=run_report)


def _database_options(parser: argparse.ArgumentParser, data_dir: Path) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, default=data_dir)
    where.add_argument("--database-url", help="SQLAlchemy URL of the audit database")


def _service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--address", default=os.environ.get("STADSKAMER_ADDRESS", "127.0.0.1:50051")
    )
    parser.add_argument("--token", default=os.environ.get("STADSKAMER_TOKEN", ""))


def _database_url(options: argparse.Namespace) -> str:
    if options.database_url:
        return str(options.database_url)
    path = options.data_dir / "audit.db"
    if not path.exists():
        raise ConfigurationError(f"there is no processing log at {path}")
    return sqlite_url(options.data_dir, "audit")


def _key_file(given: Path | None, options: argparse.Namespace, variable: str, public: bool) -> Path:
    if given is not None:
        return given
    if options.database_url:
        if not os.environ.get(variable):
            raise ConfigurationError(f"give the key with an option or {variable}")
        return Path(os.environ[variable])
    layout = KeyLayout.under(options.data_dir)
    return layout.audit_public_key if public else layout.audit_private_key


def run_verify(options: argparse.Namespace) -> int:
    """Exit 0 and print size and root for an intact log; exit 1 naming the first difference."""
    key_file = _key_file(options.public_key, options, "STADSKAMER_AUDIT_PUBLIC_KEY_FILE", True)
    public_key = read_ed25519_public_key(key_file)
    engine = audit_engine(_database_url(options))
    try:
        verified = verify_log(engine, public_key)
    except Tampered as error:
        print(f"processing log TAMPERED: {error}", file=sys.stderr)
        return 1
    except StadskamerError as error:
        print(f"stadskamer: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(
        f"processing log intact: {verified.size} records ({verified.pruned} pruned), "
        f"root {verified.root.hex()}, {verified.heads} signed tree heads checked"
    )
    return 0


def run_prune(options: argparse.Namespace) -> int:
    """Prune the expired leading range (after a full verify); print what was pruned."""
    key_file = _key_file(options.signing_key, options, "STADSKAMER_AUDIT_SIGNING_KEY_FILE", False)
    signer = TreeHeadSigner(read_ed25519_private_key(key_file))
    register = ActivityRegister.load(activities_file(os.environ))
    engine = audit_engine(_database_url(options))
    try:
        writer = LogWriter(engine, signer)
        now = datetime.now(UTC)
        pruned = prune_expired(engine, writer, register, signer.public_key, now, options.actor)
    except Tampered as error:
        print(f"processing log TAMPERED, nothing pruned: {error}", file=sys.stderr)
        return 1
    except StadskamerError as error:
        print(f"stadskamer: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(
        f"pruned records {pruned.before}..{pruned.after - 1}"
        if pruned.after > pruned.before
        else "nothing to prune"
    )
    return 0


def _channel(options: argparse.Namespace) -> grpc.Channel:
    if not options.token:
        raise ConfigurationError(
            "give the privacy officer's token with --token or STADSKAMER_TOKEN"
        )
    token = str(options.token)
    channel = grpc.insecure_channel(options.address)
    return grpc.intercept_channel(channel, ClientMetadataInterceptor(lambda: token))


def _processing(
    stub: pb_grpc.ProcessingLogServiceStub,
    purpose: pb.QueryPurpose.ValueType,
    wanted: pb.ProcessingFilter,
) -> Iterator[LogRecord]:
    token = ""
    while True:
        request = pb.ListProcessingRequest(
            filter=wanted, page_size=PAGE_SIZE, page_token=token, query_purpose=purpose
        )
        page = stub.ListProcessing(request, timeout=60)
        yield from (messages.record_of(r) for r in page.records)
        token = page.next_page_token
        if not token:
            return


def _read_bsn() -> str:
    raw = getpass.getpass("BSN: ") if sys.stdin.isatty() else sys.stdin.readline()
    try:
        return pep.normalize_bsn(raw.strip())
    except pep.InvalidBsnError:
        raise ConfigurationError(
            "that is not a valid BSN (9 digits passing the 11-check)"
        ) from None


def run_export(options: argparse.Namespace) -> int:
    """Print every processing of one citizen, and their consent events, with Dutch labels."""
    bsn = _read_bsn()
    consents_domain = "" if options.without_consents else _consents_domain(options)
    channel = _channel(options)
    try:
        audiences = [AUDIT_AUDIENCE, *([consents_domain] if consents_domain else [])]
        issued = PseudonymClient(channel).issue([bsn], audiences, EXPORT_PURPOSE)[0] or []
        audit_subjects = [p for p in issued if _audience(p).startswith(REPORT_PREFIX)]
        stub = pb_grpc.ProcessingLogServiceStub(channel)
        wanted = pb.ProcessingFilter(subjects_tagged=audit_subjects)
        records = list(_processing(stub, pb.QUERY_PURPOSE_SUBJECT_ACCESS, wanted))
        titles: dict[str, str] = {}
        events: list[subject_access.ConsentEvent] = []
        if consents_domain:
            (subject,) = [p for p in issued if _audience(p) == consents_domain]
            titles, events = _consents(channel, subject)
    except grpc.RpcError as error:
        return _refused(error)
    except StadskamerError as error:
        print(f"stadskamer: the request failed ({error.reason}): {error}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    labels = subject_access.Labels(ActivityRegister.load(activities_file(os.environ)), titles)
    processing = [subject_access.processing_row(r, labels) for r in records]
    consents = [subject_access.consent_row(e, labels) for e in events]
    render = subject_access.as_json if options.format == "json" else subject_access.as_csv
    print(render(processing, consents))
    return 0


def _audience(tagged: bytes) -> str:
    return tags.parse(tagged).audience


def _consents_domain(options: argparse.Namespace) -> str:
    """The domain to list consents under: the option, or the token's first domain."""
    if options.consents_domain:
        return str(options.consents_domain)
    try:
        claims = jwt.decode(str(options.token), options={"verify_signature": False})
    except jwt.PyJWTError:
        claims = {}
    domains = [str(d) for d in claims.get("domains", []) if d != AUDIT_AUDIENCE]
    if not domains:
        raise ConfigurationError(
            "the token names no domain to list the consents under: give --consents-domain "
            "or --without-consents"
        )
    return domains[0]


def _consents(
    channel: grpc.Channel, subject: bytes
) -> tuple[dict[str, str], list[subject_access.ConsentEvent]]:
    """Purpose titles and every event of the citizen's consents (consent service)."""
    stub = consent_grpc.ConsentServiceStub(channel)
    catalogue = stub.ListPurposes(consent_pb.ListPurposesRequest(), timeout=30)
    titles = {p.id: p.title for p in catalogue.purposes if p.current}
    events: list[subject_access.ConsentEvent] = []
    token = ""
    while True:
        page = stub.ListConsents(
            consent_pb.ListConsentsRequest(subject=subject, page_size=200, page_token=token),
            timeout=30,
        )
        for consent in page.consents:
            state = consent_pb.ConsentState.Name(consent.state).removeprefix("CONSENT_STATE_")
            for event in consent.history:
                kind = consent_pb.ConsentEventKind.Name(event.kind)
                events.append(
                    subject_access.ConsentEvent(
                        messages.moment(event.time),
                        kind.removeprefix("CONSENT_EVENT_KIND_"),
                        consent.name,
                        consent.purpose,
                        consent.purpose_version,
                        event.actor,
                        state,
                    )
                )
        token = page.next_page_token
        if not token:
            return titles, events


def _refused(error: grpc.RpcError) -> int:
    code = error.code().name if isinstance(error, grpc.Call) else "UNKNOWN"
    details = error.details() if isinstance(error, grpc.Call) else ""
    print(f"stadskamer: the request failed ({code}): {details}", file=sys.stderr)
    return 1


def _since(text: str, now: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return now - timedelta(seconds=parse_duration(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_report(options: argparse.Namespace) -> int:
    """Print use per actor and purpose since ``--since``, and the unusual readers."""
    now = datetime.now(UTC)
    since = _since(options.since, now)
    channel = _channel(options)
    try:
        stub = pb_grpc.ProcessingLogServiceStub(channel)
        wanted = pb.ProcessingFilter(from_time=messages.timestamp(since))
        records = list(_processing(stub, pb.QUERY_PURPOSE_SUPERVISION, wanted))
    except grpc.RpcError as error:
        return _refused(error)
    finally:
        channel.close()
    period = f"{since.isoformat(timespec='seconds')} to {now.isoformat(timespec='seconds')}"
    print(f"processing from {period}: {len(records)} records")
    print(f"{'actor':<32} {'purpose':<32} {'records':>8} {'subjects':>8}")
    for line in anomalies.usage(records):
        print(f"{line.actor:<32} {line.purpose:<32} {line.records:>8} {line.subjects:>8}")
    distinct = anomalies.distinct_history_subjects(records)
    flags = anomalies.unusual_readers(distinct, minimum=options.minimum)
    print(f"unusual access (history of more distinct citizens than peers): {len(flags)}")
    for flag in flags:
        print(
            f"  UNUSUAL {flag.actor}: {flag.subjects} citizens, threshold {flag.threshold:.1f} "
            f"(peer median {flag.peer_median:.1f}, MAD {flag.peer_mad:.1f})"
        )
    return 0
