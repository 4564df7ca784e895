"""Real databases for the storage tests: a SQLite file, and a fresh PostgreSQL schema.

PostgreSQL is found through ``STADSKAMER_TEST_POSTGRES_URL`` (default: the local server's
``test`` database). Without a reachable server its tests are skipped with a plain notice,
unless ``STADSKAMER_REQUIRE_POSTGRES=1`` (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, inspect, text

POSTGRES_URL = os.environ.get(
    "STADSKAMER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("STADSKAMER_REQUIRE_POSTGRES", "") == "1"


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:  # any failure means: not usable here
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
    return None


def require_postgres() -> None:
    """Skip (or, when required, fail) the current test if PostgreSQL is not reachable."""
    problem = postgres_problem()
    if problem is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"PostgreSQL is required but unreachable at {POSTGRES_URL}: {problem}")
    pytest.skip(f"PostgreSQL suite skipped: no server at {POSTGRES_URL} ({problem})")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema; yields a URL whose connections use it, drops it afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def dump_database_text(url: str) -> str:
    """Every row of every table, as text, for searching literal personal data."""
    engine = create_engine(url)
    parts: list[str] = []
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        parts.append(value.hex() if isinstance(value, bytes) else str(value))
                        if isinstance(value, bytes):
                            parts.append(value.decode("latin-1"))
    finally:
        engine.dispose()
    return "\n".join(parts)


def files_containing(folder: Path, literals: Iterable[str]) -> list[str]:
    """Which ``literal in file`` pairs occur in the bytes of any file below ``folder``."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{literal!r} in {path}" for literal in literals if literal.encode() in data]
    return found
