"""The migrations create exactly the tables the code uses, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from stadskamer.complaints.adapters.orm import metadata
from tests.integration.complaints.support import World


def test_the_migrated_schema_matches_the_tables_of_the_code(world: World) -> None:
    with world.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d for d in differences if "alembic_version" not in str(d)] == []
