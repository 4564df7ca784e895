"""Migration 0002 on SQLite and PostgreSQL: the reference column is filled from each leaf, and
the log still verifies."""

from __future__ import annotations

from sqlalchemy import select, text

from stadskamer.audit.adapters.database import MIGRATIONS, SERVICE
from stadskamer.audit.adapters.orm import processing_records
from stadskamer.audit.adapters.verifier import verify_log
from stadskamer.common.db import migrate
from tests.integration.audit.conftest import Log, fill


def _back_to_0001(log: Log) -> None:
    """The schema as revision 0001 left it, with the records already there."""
    with log.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_processing_records_reference"))
        connection.execute(text("ALTER TABLE processing_records DROP COLUMN reference"))
        connection.execute(text(f"UPDATE alembic_version_{SERVICE} SET version_num = '0001'"))


def test_the_reference_column_is_filled_from_the_leaves(log: Log) -> None:
    fill(log, 7, batch=3)
    _back_to_0001(log)
    migrate(log.engine, MIGRATIONS, SERVICE)
    with log.engine.connect() as connection:
        references = connection.execute(
            select(processing_records.c.reference).order_by(processing_records.c.leaf_index)
        ).scalars()
        assert list(references) == [str(n) for n in range(7)]
    assert verify_log(log.engine, log.signer.public_key).size == 7
