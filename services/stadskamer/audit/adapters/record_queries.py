"""The privacy officer's queries over the stored records, in log order (keyset paging)."""

from __future__ import annotations

from sqlalchemy import or_, select, union
from sqlalchemy.engine import Engine

from stadskamer.audit.adapters.orm import processing_records as records
from stadskamer.audit.domain import LogRecord, RecordFilter, decode_leaf, to_microseconds
from stadskamer.common.db import database_errors
from stadskamer.common.errors import FailedPrecondition


class RecordQueries:
    """Reads records matching a filter from one database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def page(
        self, wanted: RecordFilter, after: int, before: int, limit: int
    ) -> list[tuple[LogRecord, bytes]]:
        """Up to ``limit`` matching records with ``after < leaf_index < before``, oldest first,
        each with its leaf hash."""
        query = (
            select(records.c.leaf_data, records.c.leaf_hash)
            .where(records.c.leaf_index > after, records.c.leaf_index < before)
            .order_by(records.c.leaf_index)
            .limit(limit)
        )
        if wanted.subjects:
            query = query.where(records.c.subject.in_(wanted.subjects))
        if wanted.references:
            query = query.where(records.c.reference.in_(wanted.references))
        if wanted.actor:
            query = query.where(records.c.actor == wanted.actor)
        if wanted.purpose:
            query = query.where(records.c.purpose == wanted.purpose)
        if wanted.domain:
            query = query.where(
                or_(
                    records.c.requester_domain == wanted.domain,
                    records.c.target_domain == wanted.domain,
                )
            )
        if wanted.from_time is not None:
            query = query.where(records.c.start_time_us >= to_microseconds(wanted.from_time))
        if wanted.until_time is not None:
            query = query.where(records.c.start_time_us < to_microseconds(wanted.until_time))
        with database_errors(), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        try:
            return [(decode_leaf(bytes(r.leaf_data)), bytes(r.leaf_hash)) for r in rows]
        except ValueError:
            raise FailedPrecondition(
                "a stored record is damaged; run audit verify", "LOG_INCONSISTENT"
            ) from None

    def domains(self) -> set[str]:
        """Every requester and target domain in the log (and "", the domain of neither)."""
        query = union(
            select(records.c.requester_domain.label("domain")).distinct(),
            select(records.c.target_domain.label("domain")).distinct(),
        )
        with database_errors(), self._engine.connect() as connection:
            return {str(row.domain) for row in connection.execute(query)} | {""}
