"""Real databases for the storage tests: a SQLite file, and a fresh PostgreSQL schema.

PostgreSQL is found through ``STADSKAMER_TEST_POSTGRES_URL`` (default: the local server's
``test`` database). Without a reachable server its tests are skipped with a plain notice,
unless ``STADSKAMER_REQUIRE_POSTGRES=1`` (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import functools
import os
import re
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


# What is searched inside a stored value besides the value itself: printable runs in bytes
# (strings inside a serialized message), the parts of a name such as ``contacts/<id>`` or
# ``event:<id>``, and every UUID (with or without dashes) anywhere in it.
_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e]{8,}")
_SEPARATORS = re.compile(r"[\s/:=,;\"'{}\[\]()]+")
_UUID = re.compile(
    r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE
)


def _texts_in(text: str) -> Iterator[str]:
    yield text
    yield from _SEPARATORS.split(text)
    for found in _UUID.findall(text):
        yield found.replace("-", "").lower()


def value_forms(value: object) -> Iterator[str]:
    """The forms of one column value that another database could hold as it is.

    Numbers, booleans, dates and times are not yielded: in these schemas they are moments,
    counts, positions and enum codes, never identifiers.
    """
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        yield value.hex()
        for run in _PRINTABLE_RUN.findall(value):
            yield from _texts_in(run.decode("ascii"))
    elif isinstance(value, str):
        yield from _texts_in(value)


def stored_values(url: str) -> dict[str, str]:
    """Every form (:func:`value_forms`) of every column value of every row, with its column."""
    engine = create_engine(url)
    found: dict[str, str] = {}
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                result = connection.execute(text(f'SELECT * FROM "{table}"'))
                columns = list(result.keys())
                for row in result:
                    for column, value in zip(columns, row, strict=True):
                        for form in value_forms(value):
                            found.setdefault(form, f"{table}.{column}")
    finally:
        engine.dispose()
    return found


def files_containing(folder: Path, literals: Iterable[str]) -> list[str]:
    """Which ``literal in file`` pairs occur in the bytes of any file below ``folder``."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{literal!r} in {path}" for literal in literals if literal.encode() in data]
    return found
