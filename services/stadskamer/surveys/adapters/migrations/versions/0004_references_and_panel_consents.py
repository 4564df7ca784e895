"""Citizens named by a stored reference; panel members re-checked by their consent.

``survey_subjects.subject_reference`` keeps the tagged onderzoek pseudonym the pseudonym
service handed out at the citizen's newest claim (NULL for a citizen seen before: named again
only at their next issuance). ``panel_members.consent_sealed`` keeps the name of the
research-panel consent a member joined with, sealed (NULL for earlier members, who cannot be
re-checked and so leave the panel at the next draw or sweep).

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
    """Add the two columns."""
    with op.batch_alter_table("survey_subjects") as batch:
        batch.add_column(sa.Column("subject_reference", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("panel_members") as batch:
        batch.add_column(sa.Column("consent_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("panel_members") as batch:
        batch.drop_column("consent_sealed")
    with op.batch_alter_table("survey_subjects") as batch:
        batch.drop_column("subject_reference")
