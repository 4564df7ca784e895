"""Key issuances table.

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
    """Create the key_issuances table."""
    op.create_table(
        "key_issuances",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("domain", sa.String(63), nullable=False),
        sa.Column("key_version", sa.String(16), nullable=False),
        sa.Column("caller", sa.String(255), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trace_id", sa.LargeBinary(16), nullable=False),
    )
    op.create_index("ix_key_issuances_domain", "key_issuances", ["domain"])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("key_issuances")
