"""The consent domain's stored reference of each consent's subject.

Consents given before this revision have none: their later records name no subject until
the citizen's consent is given again.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable column."""
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("subject_reference", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("subject_reference")
