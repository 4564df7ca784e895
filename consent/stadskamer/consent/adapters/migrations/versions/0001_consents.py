"""Consents table.

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
    """Create the consents table."""
    op.create_table(
        "consents",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("subject", sa.LargeBinary(32), nullable=False),
        sa.Column("purpose", sa.String(63), nullable=False),
        sa.Column("purpose_version", sa.Integer, nullable=False),
        sa.Column("notice_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("capture_method", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt", sa.Text, nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_reason", sa.String(32), nullable=True),
        sa.Column("withdrawn_by", sa.String(255), nullable=True),
        sa.Column("withdrawal_receipt", sa.Text, nullable=True),
    )
    op.create_index("ix_consents_subject_purpose", "consents", ["subject", "purpose"])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("consents")
