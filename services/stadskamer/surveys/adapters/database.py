"""What the surveys database needs beyond the shared engine: erasure that reaches the files.

Erasing a value (an invitation's sealed address once delivered, a panel member's key when
the member leaves) must not leave it readable in the database files. On SQLite:

- ``PRAGMA secure_delete=ON`` on every connection, so freed cell space is overwritten with
  zeros instead of keeping the old bytes;
- after such a transaction, ``PRAGMA wal_checkpoint(TRUNCATE)`` copies the new pages into
  the database file and truncates the write-ahead log, which held the old page images.

On PostgreSQL old row versions stay in the table files until VACUUM reuses their space;
what keeps an erased address unreadable there is that it was sealed and, for a panel member,
that the member's data key is gone (crypto-shredding). :class:`NoScrub` is used there.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

_log = logging.getLogger("stadskamer.surveys.database")
# The busy timeout every connection has (see stadskamer.common.db.make_engine).
BUSY_TIMEOUT_MS = 30000


def secure_delete(engine: Engine) -> None:
    """Turn on SQLite's secure_delete for every connection of ``engine`` (others: nothing)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


class SqliteScrub:
    """Checkpoints and truncates the write-ahead log after an erasure.

    The checkpoint waits at most ``busy_milliseconds`` for readers to move on; a busy database
    is scrubbed at the next erasure instead of delaying this request.
    """

    def __init__(self, engine: Engine, busy_milliseconds: int = 200) -> None:
        self._engine = engine
        self._busy = busy_milliseconds

    def scrub(self) -> None:
        """``PRAGMA wal_checkpoint(TRUNCATE)`` under a short busy timeout."""
        try:
            with self._engine.connect() as connection:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={self._busy}")
                try:
                    busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                finally:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                connection.commit()
        except SQLAlchemyError as error:
            _log.warning("wal checkpoint failed error=%s", type(error).__name__)
            return
        if busy is not None and busy[0]:
            _log.warning("wal checkpoint incomplete: the database was busy")


class NoScrub:
    """For databases whose files need no extra step (see the module docstring)."""

    def scrub(self) -> None:
        """Nothing to do."""


def scrubber(engine: Engine) -> SqliteScrub | NoScrub:
    """The scrubber for ``engine``'s database."""
    return SqliteScrub(engine) if engine.dialect.name == "sqlite" else NoScrub()
