"""Replicas that start together migrate one fresh database once, and every one of them starts.

On PostgreSQL (replicas of a Deployment) and on a SQLite file (two ``stadskamer`` commands on
one data folder) alike. Without the migration lock both fail here: PostgreSQL with a unique
violation in ``pg_type`` of a table created twice, SQLite with "table already exists". Each
replica is a process of its own (Alembic keeps per-process state, so threads would not
model replicas) that connects, waits at a common start line and then runs the same
:func:`stadskamer.common.db.migrate` a service runs at start. Afterwards the schema is at head
exactly once: one row in the version table and every table of the service's models present.
"""

from __future__ import annotations

import subprocess
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from stadskamer.common.db import make_engine, migration_lock_key
from stadskamer.pseudonyms.adapters.orm import metadata
from stadskamer.pseudonyms.bootstrap import MIGRATIONS

REPLICAS = 4
SERVICE = "pseudonyms"
REPLICA = """
import sys
from stadskamer.common.db import make_engine, migrate
from stadskamer.pseudonyms.bootstrap import MIGRATIONS

engine = make_engine(sys.argv[1], "pseudonyms")
with engine.connect():
    pass
print("ready", flush=True)
sys.stdin.readline()
migrate(engine, MIGRATIONS, "pseudonyms")
engine.dispose()
print("migrated", flush=True)
"""


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _start_together(url: str, count: int) -> list[tuple[int, str, str]]:
    """Run ``count`` replica processes released at once; (exit code, stdout, stderr) of each."""
    replicas = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        for replica in replicas:
            assert replica.stdout is not None
            assert replica.stdout.readline() == "ready\n"
        for replica in replicas:
            assert replica.stdin is not None
            replica.stdin.write("go\n")
            replica.stdin.flush()
        outcomes = []
        for replica in replicas:
            out, err = replica.communicate(timeout=120)
            outcomes.append((replica.returncode, out, err))
        return outcomes
    finally:
        for replica in replicas:
            if replica.poll() is None:
                replica.kill()
                replica.wait()


def test_replicas_starting_together_migrate_a_fresh_database_once(database_url: str) -> None:
    outcomes = _start_together(database_url, REPLICAS)
    assert [(code, out) for code, out, _ in outcomes] == [(0, "migrated\n")] * REPLICAS, [
        err[-2000:] for code, _, err in outcomes if code != 0
    ]
    engine = make_engine(database_url, SERVICE)
    try:
        with engine.connect() as connection:
            table = f"alembic_version_{SERVICE}"
            versions = connection.execute(text(f"SELECT version_num FROM {table}"))
            assert [row[0] for row in versions] == [_head()]
            assert set(metadata.tables) <= set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_each_service_has_a_migration_lock_of_its_own() -> None:
    services = ["pseudonyms", "contacts", "consent", "complaints", "surveys", "audit"]
    keys = {migration_lock_key(service) for service in services}
    assert len(keys) == len(services)
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert migration_lock_key("audit") == migration_lock_key("audit")
