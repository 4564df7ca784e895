"""Used link grants table (single use of consent-issued grants).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the used_link_grants table."""
    op.create_table(
        "used_link_grants",
        sa.Column("grant_id", sa.String(32), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_used_link_grants_expires_at", "used_link_grants", ["expires_at"])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("used_link_grants")
