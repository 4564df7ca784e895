"""An index for one citizen's complaints (ListComplaints by subject, the history fan-out).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index the klachten pseudonym, in receipt order."""
    op.create_index(
        "ix_complaints_subject", "complaints", ["subject_pseudonym", "received_at_us", "id"]
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_complaints_subject", table_name="complaints")
