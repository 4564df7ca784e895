"""The database bootstrap: engines, Alembic migrations and the unit of work.

One database per service. SQLite (WAL, foreign keys, a busy timeout, files of mode 0600) is
the embedded default; PostgreSQL is used by URL. Connection failures become UNAVAILABLE, never
INTERNAL. Processes that start together against one database migrate one after the other
(PostgreSQL: an advisory lock per service; SQLite: a file lock beside the database file), so
the first creates the tables and the others find them at head.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from stadskamer.common.errors import Unavailable
from stadskamer.common.file_modes import open_private, private_database
from stadskamer.common.settings import ConfigurationError
from stadskamer.common.telemetry import instrument_engine


def sqlite_url(data_dir: Path, service: str) -> str:
    """The embedded database URL of a service under ``data_dir``."""
    return f"sqlite:///{(data_dir / f'{service}.db').resolve()}"


def make_engine(url: str, service: str, durable: bool = False) -> Engine:
    """An engine for ``url`` with the project's connection settings and tracing.

    On SQLite (WAL) a commit survives a crash of the process; with ``durable`` it also
    survives a power loss (``synchronous=FULL``: the log is fsynced at every commit), for a
    service whose answer promises that (audit, and contacts, which keeps processing records).
    PostgreSQL commits are durable in either case. A SQLite database file is created (or
    tightened) with mode 0600 before each new connection opens it, so the ``-wal``, ``-shm``
    and ``-journal`` files SQLite makes beside it get that mode too.
    """
    synchronous = "FULL" if durable else "NORMAL"
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        database = _sqlite_file(engine)
        if database is not None:
            _keep_private(engine, database)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    else:
        # No pre-ping (a round trip per checkout): a connection lost to a server restart fails
        # its statement (UNAVAILABLE), SQLAlchemy then invalidates the pool, and the next
        # request connects afresh.
        engine = create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800)
    instrument_engine(engine, service)
    return engine


def _keep_private(engine: Engine, database: Path) -> None:
    """Make ``database`` private before every new connection opens it (and creates files)."""

    @event.listens_for(engine, "do_connect")
    def _private(_dialect: Any, _record: Any, _args: Any, _params: Any) -> None:
        private_database(database)


def migrate(
    engine: Engine,
    migrations: Path,
    service: str,
    attributes: Mapping[str, object] | None = None,
    revision: str = "head",
) -> None:
    """Bring the service's schema to ``revision``, by default the newest (Alembic ``upgrade``).

    Concurrent callers (replicas or workers starting together) wait for each other: on
    PostgreSQL the upgrade runs in one transaction that first takes the service's advisory
    lock; on a SQLite file it runs under an exclusive lock on ``<database>.migrate-lock``.
    ``attributes`` are what the migrations may need beyond the connection: the digests of
    :mod:`stadskamer.common.request_ids`, and under ``"secrets"`` the keys a migration that
    rewrites stored values reads with :func:`migration_secret`. On SQLite an upgrade that
    changed the revision ends with the write-ahead log truncated, so no page image of a value a
    migration erased stays behind in it.
    """
    config = Config()
    config.set_main_option("script_location", str(migrations))
    version_table = f"alembic_version_{service}"
    config.attributes.update(attributes or {})
    config.attributes["version_table"] = version_table
    with database_errors(), _sqlite_file_lock(engine):
        with engine.begin() as connection:
            _lock_for_migration(connection, service)
            before = _revision(connection, version_table)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            changed = _revision(connection, version_table) != before
        if changed and engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _revision(connection: Connection, version_table: str) -> str | None:
    """The revision the service's schema is at (None: not migrated yet)."""
    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return context.get_current_revision()


def migration_secret(name: str) -> Any:
    """Inside a migration: the secret ``name`` the service passed to :func:`migrate`.

    A ConfigurationError names it when it was not passed (a migration asks only when it has
    stored values to rewrite, so an empty database migrates without it).
    """
    secret = context.config.attributes.get("secrets", {}).get(name)
    if secret is None:
        raise ConfigurationError(f"this migration needs the {name} of the service's settings")
    return secret


def migration_lock_key(service: str) -> int:
    """The PostgreSQL advisory lock key of a service's migrations (a signed 64-bit hash)."""
    digest = hashlib.sha256(f"stadskamer-migrate:{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lock_for_migration(connection: Connection, service: str) -> None:
    """On PostgreSQL, wait for the transaction-level advisory lock of ``service``.

    It is released when the migration's transaction ends (commit, rollback or a lost
    connection), so a crashed replica never leaves it held.
    """
    if connection.dialect.name == "postgresql":
        key = migration_lock_key(service)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine; None for PostgreSQL and in-memory databases."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None  # a URI filename (``?uri=true``): SQLite decides what it opens
    return Path(database)


def _sqlite_file_lock(engine: Engine) -> AbstractContextManager[None]:
    """For a SQLite database file, an exclusive ``flock`` on a file beside it; else nothing."""
    database = _sqlite_file(engine)
    if database is None:
        return nullcontext()
    return _file_lock(Path(f"{database}.migrate-lock"))


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed, mode 0600); released on exit.

    A folder that cannot be written is UNAVAILABLE, as the database in it would be.
    """
    try:
        descriptor = open_private(path, os.O_RDWR)
    except OSError:
        raise Unavailable("the database is unavailable", "DATABASE_UNAVAILABLE") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def run_alembic_env(metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``: migrate on the given connection."""
    attributes = context.config.attributes
    context.configure(
        connection=attributes["connection"],
        target_metadata=metadata,
        version_table=attributes["version_table"],
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def is_connection_error(error: BaseException) -> bool:
    """Whether a database exception means the database could not be reached."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn connection failures into UNAVAILABLE; other errors pass unchanged."""
    try:
        yield
    except DBAPIError as error:
        if is_connection_error(error):
            raise Unavailable("the database is unavailable", "DATABASE_UNAVAILABLE") from None
        raise


class UnitOfWork:
    """One transaction: ``with uow: ...; uow.commit()``. Leaving without commit rolls back.

    A lost database connection inside the block surfaces as UNAVAILABLE.
    """

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        return self

    def __exit__(self, _type: Any, error: BaseException | None, _tb: Any) -> None:
        try:
            self.session.rollback()
            self.session.close()
        except DBAPIError:
            self.session.invalidate()
        if isinstance(error, DBAPIError) and is_connection_error(error):
            raise Unavailable("the database is unavailable", "DATABASE_UNAVAILABLE") from None

    def commit(self) -> None:
        """Make the transaction durable."""
        self.session.commit()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory of an engine (objects stay readable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)
