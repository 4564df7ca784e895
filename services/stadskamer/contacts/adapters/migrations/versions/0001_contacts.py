"""Contacts table.

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
    """Create the contacts table with its idempotency constraint and indexes."""
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("domain", sa.String(63), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("subject_pseudonym", sa.LargeBinary(32), nullable=True),
        sa.Column("channel", sa.SmallInteger, nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("org_unit", sa.String(64), nullable=False),
        sa.Column("occurred_at_us", sa.BigInteger, nullable=False),
        sa.Column("resolved_first_time", sa.Boolean, nullable=False),
        sa.Column("summary_sealed", sa.LargeBinary, nullable=True),
        sa.Column("key_version", sa.String(16), nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("is_repeat", sa.Boolean, nullable=False),
        sa.Column("repeat_previous", sa.Integer, nullable=False),
        sa.Column("repeat_same_topic", sa.Boolean, nullable=False),
        sa.Column("repeat_last_at_us", sa.BigInteger, nullable=True),
        sa.Column("repeat_channels", sa.String(64), nullable=False),
        sa.Column("repeat_window_days", sa.Integer, nullable=False),
        sa.UniqueConstraint("domain", "request_id", name="uq_contacts_domain_request_id"),
    )
    op.create_index(
        "ix_contacts_subject", "contacts", ["domain", "subject_pseudonym", "occurred_at_us", "id"]
    )
    op.create_index("ix_contacts_domain_time", "contacts", ["domain", "occurred_at_us", "id"])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("contacts")
