"""Complainants named by a stored reference; link grants spent once.

``complaints.subject_reference`` keeps the tagged klachten pseudonym the pseudonym service
handed out when the complainant was claimed (NULL for older complaints: they are named again
only at the citizen's next issuance). ``spent_grants`` holds the link grants a read was made
under, until they expire.

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
    """Add the column and the table."""
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("subject_reference", sa.LargeBinary(), nullable=True))
    op.create_table(
        "spent_grants",
        sa.Column("grant_id", sa.String(32), primary_key=True),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_spent_grants_expiry", "spent_grants", ["expires_at_us"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_spent_grants_expiry", table_name="spent_grants")
    op.drop_table("spent_grants")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("subject_reference")
