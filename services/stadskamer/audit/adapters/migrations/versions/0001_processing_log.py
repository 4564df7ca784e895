"""Processing log: records, tree nodes, signed tree heads and the lock row.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables and the single log_state row."""
    op.create_table(
        "processing_records",
        sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("record_id", sa.String(32), nullable=False, unique=True),
        sa.Column("leaf_data", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("purpose", sa.String(255), nullable=False),
        sa.Column("requester_domain", sa.String(255), nullable=False),
        sa.Column("target_domain", sa.String(255), nullable=False),
        sa.Column("subject", sa.LargeBinary(32), nullable=True),
        sa.Column("start_time_us", sa.BigInteger, nullable=False),
        sa.Column("logged_time_us", sa.BigInteger, nullable=False),
        sa.Column("activity_id", sa.String(63), nullable=False),
        sa.Column("activity_version", sa.Integer, nullable=False),
        sa.Column("reporter", sa.String(255), nullable=False),
    )
    for column in (
        "subject",
        "actor",
        "purpose",
        "requester_domain",
        "target_domain",
        "start_time_us",
    ):
        op.create_index(f"ix_processing_records_{column}", "processing_records", [column])
    op.create_table(
        "tree_nodes",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("node_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "tree_heads",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
    )
    state = op.create_table(
        "log_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("pruned_size", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "tree_size": 0, "pruned_size": 0}])


def downgrade() -> None:
    """Drop them."""
    for table in ("log_state", "tree_heads", "tree_nodes", "processing_records"):
        op.drop_table(table)
