"""The pseudonym service's storage on SQLite and PostgreSQL: migrations, unit of work, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy import inspect

from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.errors import Unavailable
from stadskamer.pseudonyms.adapters.repository import KeyIssuance, KeyIssuanceRepository
from stadskamer.pseudonyms.bootstrap import MIGRATIONS

ISSUED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _issuance(domain: str = "kcc") -> KeyIssuance:
    return KeyIssuance(domain, "v1", "contacts-service", ISSUED, bytes(range(16)))


def test_migrations_create_the_schema_and_can_run_twice(database_url: str) -> None:
    engine = make_engine(database_url, "pseudonyms")
    migrate(engine, MIGRATIONS, "pseudonyms")
    migrate(engine, MIGRATIONS, "pseudonyms")
    tables = set(inspect(engine).get_table_names())
    assert {"key_issuances", "alembic_version_pseudonyms"} <= tables
    engine.dispose()


def test_committed_issuances_are_stored_and_read_back(database_url: str) -> None:
    engine = make_engine(database_url, "pseudonyms")
    migrate(engine, MIGRATIONS, "pseudonyms")
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    with unit_of_work() as uow:
        KeyIssuanceRepository(uow.session).add(_issuance("kcc"))
        KeyIssuanceRepository(uow.session).add(_issuance("burgerzaken"))
        uow.commit()
    with unit_of_work() as uow:
        stored = KeyIssuanceRepository(uow.session).for_domain("kcc")
    assert len(stored) == 1
    assert stored[0].caller == "contacts-service"
    assert stored[0].trace_id == bytes(range(16))
    assert stored[0].issued_at.replace(tzinfo=UTC) == ISSUED
    engine.dispose()


def test_leaving_a_unit_of_work_without_commit_writes_nothing(database_url: str) -> None:
    engine = make_engine(database_url, "pseudonyms")
    migrate(engine, MIGRATIONS, "pseudonyms")
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    with pytest.raises(RuntimeError), unit_of_work() as uow:
        KeyIssuanceRepository(uow.session).add(_issuance())
        raise RuntimeError("failure before commit")
    with unit_of_work() as uow:
        assert KeyIssuanceRepository(uow.session).for_domain("kcc") == []
    engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2",
        "sqlite:////nonexistent-folder/for/stadskamer/test.db",
    ],
)
def test_an_unreachable_database_is_unavailable_not_internal(url: str) -> None:
    engine = make_engine(url, "pseudonyms")
    with pytest.raises(Unavailable):
        migrate(engine, MIGRATIONS, "pseudonyms")
    with pytest.raises(Unavailable), UnitOfWork(session_factory(engine)) as uow:
        KeyIssuanceRepository(uow.session).for_domain("kcc")
    engine.dispose()
