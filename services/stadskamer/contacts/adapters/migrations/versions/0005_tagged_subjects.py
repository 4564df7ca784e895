"""Tagged subjects: each contact's stored reference, and the link grants spent here.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add contacts.subject_reference and create spent_link_grants."""
    op.add_column("contacts", sa.Column("subject_reference", sa.LargeBinary, nullable=True))
    op.create_table(
        "spent_link_grants",
        sa.Column("grant_digest", sa.LargeBinary(32), primary_key=True),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_spent_link_grants_expiry", "spent_link_grants", ["expires_at_us"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("spent_link_grants")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("subject_reference")
