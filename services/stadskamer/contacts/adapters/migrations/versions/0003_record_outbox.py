"""The record outbox: each processing record kept with the work it records.

Revision ID: 0003
Revises: 0002
"""

from stadskamer.common.outbox_migration import create_outbox_tables, drop_outbox_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the records_events and records_deliveries tables."""
    create_outbox_tables("records")


def downgrade() -> None:
    """Drop them."""
    drop_outbox_tables("records")
