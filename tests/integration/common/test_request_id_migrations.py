"""The migrations that replace stored request ids by keyed digests, on SQLite and PostgreSQL.

Each service's database is brought to the revision before its digest migration, filled with
rows that hold clear request ids (every other required column made up), and upgraded with
the digests the service derives from its domain keys. Afterwards every row holds the digest
the service computes for its request id, so a retry of a request made before the upgrade
finds the first result; no clear request id is left in the rows (nor, on SQLite, in the
files); the digest is unique. Without the keys a table with rows is not migrated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from stadskamer.common.db import make_engine, migrate
from stadskamer.common.request_ids import RequestDigest, migration_attributes
from stadskamer.complaints.bootstrap import MIGRATIONS as COMPLAINTS
from stadskamer.consent.bootstrap import MIGRATIONS as CONSENT
from stadskamer.contacts.bootstrap import MIGRATIONS as CONTACTS
from stadskamer.surveys.bootstrap import MIGRATIONS as SURVEYS
from tests.support.databases import dump_database_text

SECRET = "piet@example.nl-111222333"


@dataclass(frozen=True)
class Case:
    """One table of a service whose request ids the migration after ``before`` digests."""

    service: str
    migrations: Path
    before: str
    table: str
    domains: tuple[str, ...]  # one: every row's; more: the table's ``domain`` column

    def digests(self) -> dict[str, RequestDigest]:
        return {d: RequestDigest(hashlib.sha256(d.encode()).digest()) for d in self.domains}


CASES = [
    Case("contacts", CONTACTS, "0003", "contacts", ("kcc", "burgerzaken")),
    Case("complaints", COMPLAINTS, "0003", "complaints", ("klachten",)),
    Case("consent", CONSENT, "0002", "consents", ("consent",)),
    Case("surveys", SURVEYS, "0002", "improvements", ("onderzoek",)),
    Case("surveys", SURVEYS, "0002", "panel_draws", ("onderzoek",)),
]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url, "request-id-migrations")
    yield built
    built.dispose()


def _value(column: dict[str, object], number: int, domain: str) -> object:
    """A made-up value for a required column of an old row."""
    kind = column["type"]
    if column["name"] == "domain":
        return domain
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return number
    if isinstance(kind, sa.DateTime):
        return datetime(2025, 1, 1, tzinfo=UTC)
    if isinstance(kind, sa.Date):
        return date(2025, 1, 1)
    if isinstance(kind, sa.LargeBinary):
        return bytes([number]) * 32
    length = getattr(kind, "length", None) or 64
    return f"v{number}"[:length]


def _fill(engine: Engine, case: Case, request_ids: list[str]) -> None:
    """Rows of the old layout, one per request id (domains taken in turn)."""
    with engine.begin() as connection:
        columns = sa.inspect(connection).get_columns(case.table)
        table = sa.Table(case.table, sa.MetaData(), autoload_with=connection)
        for number, request_id in enumerate(request_ids, start=1):
            domain = case.domains[number % len(case.domains)]
            row = {
                c["name"]: _value(c, number, domain)
                for c in columns
                if not c["nullable"] and c["name"] != "seq"
            }
            connection.execute(sa.insert(table).values({**row, "request_id": request_id}))


def _stored(engine: Engine, case: Case) -> list[tuple[str, bytes]]:
    columns = "domain, request_digest" if len(case.domains) > 1 else "request_digest"
    with engine.connect() as connection:
        rows = connection.execute(sa.text(f"SELECT {columns} FROM {case.table}")).all()
    return [(r[0], bytes(r[1])) if len(r) > 1 else (case.domains[0], bytes(r[0])) for r in rows]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.table)
def test_stored_request_ids_become_the_digests_the_service_computes(
    engine: Engine, case: Case
) -> None:
    request_ids = [SECRET, "req-2", "req-3", "req-4"]
    migrate(engine, case.migrations, case.service, revision=case.before)
    _fill(engine, case, request_ids)
    digests = case.digests()
    migrate(engine, case.migrations, case.service, migration_attributes(digests))
    expected = {
        (case.domains[n % len(case.domains)], digests[case.domains[n % len(case.domains)]](r))
        for n, r in enumerate(request_ids, start=1)
    }
    assert set(_stored(engine, case)) == expected
    columns = {c["name"] for c in sa.inspect(engine).get_columns(case.table)}
    assert "request_id" not in columns
    assert SECRET not in dump_database_text(engine.url.render_as_string(hide_password=False))
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database:
        for path in Path(database).parent.glob(f"{Path(database).name}*"):
            assert SECRET.encode() not in path.read_bytes(), path.name
    table = sa.Table(case.table, sa.MetaData(), autoload_with=engine)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        first = connection.execute(sa.select(table).limit(1)).mappings().one()
        again = {k: v for k, v in first.items() if k not in ("seq",)}
        again.update({k: f"x{v}"[:36] for k, v in first.items() if k in ("id", "case_number")})
        connection.execute(sa.insert(table).values(again))


def test_the_trigger_keys_of_invitation_requests_become_digests(engine: Engine) -> None:
    migrate(engine, SURVEYS, "surveys", revision="0002")
    with engine.begin() as connection:
        for key in (f"request:{SECRET}", "event:e-1"):
            connection.execute(
                sa.text(
                    "INSERT INTO triggers (trigger_key, kind, received_at_us, outcome, detail)"
                    " VALUES (:key, 'api', 1, 'INVITED', '')"
                ),
                {"key": key},
            )
    digest = RequestDigest(b"onderzoek secret")
    migrate(engine, SURVEYS, "surveys", migration_attributes({"onderzoek": digest}))
    with engine.connect() as connection:
        keys = set(connection.execute(sa.text("SELECT trigger_key FROM triggers")).scalars())
    assert keys == {f"request:{digest(SECRET).hex()}", "event:e-1"}


def test_rows_with_request_ids_are_not_migrated_without_the_keys(engine: Engine) -> None:
    case = CASES[1]
    migrate(engine, case.migrations, case.service, revision=case.before)
    _fill(engine, case, ["req-1"])
    with pytest.raises(RuntimeError, match="domain keys"):
        migrate(engine, case.migrations, case.service)
    columns = {c["name"] for c in sa.inspect(engine).get_columns(case.table)}
    assert "request_id" in columns, "nothing changed"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.table)
def test_an_empty_table_is_migrated_without_keys(engine: Engine, case: Case) -> None:
    migrate(engine, case.migrations, case.service)
    columns = {c["name"] for c in sa.inspect(engine).get_columns(case.table)}
    assert "request_digest" in columns and "request_id" not in columns
