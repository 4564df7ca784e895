"""A query column for the reference, which new records hold keyed.

Records appended from now on hold their reference keyed per domain
(:mod:`stadskamer.audit.references`); the column repeats the leaf's value, as the other query
columns do, so the privacy officer can search by a reference. Records appended before keep
the reference their leaf holds: a leaf is signed into the Merkle tree and cannot be rewritten.

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BATCH = 5000
_records = sa.table(
    "processing_records",
    sa.column("leaf_index", sa.BigInteger),
    sa.column("leaf_data", sa.LargeBinary),
    sa.column("reference", sa.String),
)


def upgrade() -> None:
    """Add the column and its index; fill it from each stored leaf."""
    with op.batch_alter_table("processing_records") as batch:
        batch.add_column(sa.Column("reference", sa.String(255), nullable=False, server_default=""))
    connection = op.get_bind()
    after = -1
    while True:
        rows = connection.execute(
            sa.select(_records.c.leaf_index, _records.c.leaf_data)
            .where(_records.c.leaf_index > after)
            .order_by(_records.c.leaf_index)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        for index, data in rows:
            reference = str(json.loads(bytes(data))["reference"])
            if reference:
                connection.execute(
                    sa.update(_records)
                    .where(_records.c.leaf_index == index)
                    .values(reference=reference)
                )
        after = rows[-1][0]
    op.create_index("ix_processing_records_reference", "processing_records", ["reference"])


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("ix_processing_records_reference", "processing_records")
    with op.batch_alter_table("processing_records") as batch:
        batch.drop_column("reference")
