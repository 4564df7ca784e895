"""The event outbox: a ContactRegistered event per new contact, stored with the contact.

Revision ID: 0002
Revises: 0001
"""

from stadskamer.common.outbox_migration import create_outbox_tables, drop_outbox_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the outbox tables."""
    create_outbox_tables()


def downgrade() -> None:
    """Drop them."""
    drop_outbox_tables()
