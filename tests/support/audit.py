"""The processing log of an embedded stack: record subjects, the officer's subjects, and the
records read straight from the audit database.

A record's subject is what the pseudonym service hands a domain's service with a claim
(:func:`record_subject`); a privacy officer's subject-access query carries what issuance into
``audit`` gives, one pseudonym per reporting domain (:func:`officer_subjects`). Services that
keep their records in an outbox (contacts) hand them to the audit service a moment after the
request: :func:`audit_records` first waits until every service database under the data folder
has delivered its kept records.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

from stadskamer.client import PseudonymClient
from tests.support.citizens import Citizens
from tests.support.stack import Stack

OFFICER = "po-1"
PENDING = text("SELECT count(*) FROM records_events WHERE delivered_at_us IS NULL")


def records_settled(data_dir: Path, seconds: float = 10.0) -> None:
    """Wait until no service database under ``data_dir`` holds undelivered records."""
    deadline = time.monotonic() + seconds
    for database in sorted(data_dir.glob("*.db")):
        engine = create_engine(f"sqlite:///{database}")
        try:
            if not inspect(engine).has_table("records_events"):
                continue
            while True:
                with engine.connect() as connection:
                    if not connection.execute(PENDING).scalar_one():
                        break
                assert time.monotonic() < deadline, f"records of {database.name} undelivered"
                time.sleep(0.02)
        finally:
            engine.dispose()


def audit_records(data_dir: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Every record's leaf document, oldest first; only those called ``name`` when given."""
    records_settled(data_dir)
    engine = create_engine(f"sqlite:///{data_dir / 'audit.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT leaf_data FROM processing_records ORDER BY leaf_index")
            ).all()
    finally:
        engine.dispose()
    documents = [json.loads(bytes(row[0])) for row in rows]
    return [d for d in documents if name is None or d["name"] == name]


def record_subject(stack: Stack, bsn: str, domain: str = "kcc") -> bytes:
    """A fresh processing-record subject (tagged ``audit/<domain>``) of ``bsn``, as ``domain``'s
    service gets it when it claims the citizen's issued pseudonym."""
    service = PseudonymClient(
        stack.channel, stack.token(f"{domain}-service", [domain], ["service"])
    )
    return service.claim(issued(stack, bsn, domain), domain).audit_subject


def issued(stack: Stack, bsn: str, domain: str) -> bytes:
    """A fresh tagged pseudonym of ``bsn`` for ``domain``, issued as that domain's edge would."""
    return Citizens(stack.channel, stack.issuer).subject(bsn, domain)


def officer_token(stack: Stack, domains: tuple[str, ...] = ()) -> str:
    """A privacy officer's token that may have citizens issued (roles privacy-officer, issuer)."""
    return stack.token(OFFICER, list(domains), ["privacy-officer", "issuer"])


def officer_subjects(stack: Stack, bsn: str) -> list[bytes]:
    """The officer's subject-access pseudonyms of ``bsn``: one per reporting domain."""
    answer = PseudonymClient(stack.channel, officer_token(stack)).issue(
        [bsn], ["audit"], "subject-access"
    )[0]
    assert answer is not None
    return answer
