"""Spent tagged pseudonyms (single use) and issuance counts per actor and hour.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create spent_tags and issuance_counts."""
    op.create_table(
        "spent_tags",
        sa.Column("use_key", sa.LargeBinary(32), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_spent_tags_expires_at", "spent_tags", ["expires_at"])
    op.create_table(
        "issuance_counts",
        sa.Column("actor", sa.String(255), primary_key=True),
        sa.Column("hour", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("issued", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop both."""
    op.drop_table("issuance_counts")
    op.drop_table("spent_tags")
