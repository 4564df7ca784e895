"""The outbox tables' DDL for a service's Alembic migration (version 1 of their layout).

A service that starts emitting events creates the tables with :func:`create_outbox_tables`
in a new revision; they match :class:`stadskamer.common.outbox.Outbox` with the same prefix.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_outbox_tables(prefix: str = "outbox") -> None:
    """Create ``<prefix>_events`` (with its pending index) and ``<prefix>_deliveries``."""
    op.create_table(
        f"{prefix}_events",
        sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("delivered_at_us", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("event_id", name=f"uq_{prefix}_events_event_id"),
    )
    op.create_index(
        f"ix_{prefix}_events_pending", f"{prefix}_events", ["delivered_at_us", "sequence"]
    )
    op.create_table(
        f"{prefix}_deliveries",
        sa.Column(
            "sequence",
            sa.Integer,
            sa.ForeignKey(f"{prefix}_events.sequence", name=f"fk_{prefix}_deliveries_sequence"),
            primary_key=True,
        ),
        sa.Column("sink", sa.String(255), primary_key=True),
        sa.Column("delivered_at_us", sa.BigInteger, nullable=False),
    )


def drop_outbox_tables(prefix: str = "outbox") -> None:
    """Drop both tables again."""
    op.drop_table(f"{prefix}_deliveries")
    op.drop_table(f"{prefix}_events")
