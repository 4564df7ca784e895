"""Invitations, triggers, fatigue clock, objections, responses, call-back tasks,
improvements and the research panel.

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
    """Create the tables."""
    op.create_table(
        "improvements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("title_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("description_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("signal_count", sa.Integer(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", name="uq_improvements_request_id"),
    )
    op.create_index("ix_improvements_quarter", "improvements", ["quarter"], unique=False)
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("org_unit", sa.String(length=64), nullable=False),
        sa.Column("complaint_outcome", sa.String(length=16), nullable=True),
        sa.Column("source_reference_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("source_reference_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("address_kind", sa.String(length=8), nullable=True),
        sa.Column("address_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("token_expires_at_us", sa.BigInteger(), nullable=True),
        sa.Column("delivered_at_us", sa.BigInteger(), nullable=True),
        sa.Column("responded_at_us", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
    )
    op.create_index("ix_invitations_created", "invitations", ["created_at_us"], unique=False)
    op.create_index(
        "ix_invitations_reference", "invitations", ["source_reference_hash"], unique=False
    )
    op.create_index(
        "ix_invitations_status", "invitations", ["status", "created_at_us"], unique=False
    )
    op.create_index("ix_invitations_subject", "invitations", ["subject_pseudonym"], unique=False)
    op.create_table(
        "objections",
        sa.Column("subject_pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("objected_at_us", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("subject_pseudonym"),
    )
    op.create_table(
        "panel_draws",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("study", sa.String(length=64), nullable=False),
        sa.Column("requested_size", sa.Integer(), nullable=False),
        sa.Column("left_without_consent", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", name="uq_panel_draws_request_id"),
    )
    op.create_table(
        "panel_members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("age_band", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("preferred_channel", sa.SmallInteger(), nullable=False),
        sa.Column("digital_skills", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("address_kind", sa.String(length=8), nullable=True),
        sa.Column("address_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("joined_at_us", sa.BigInteger(), nullable=False),
        sa.Column("left_at_us", sa.BigInteger(), nullable=True),
        sa.Column("last_drawn_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_pseudonym", name="uq_panel_members_subject"),
    )
    op.create_index("ix_panel_members_state", "panel_members", ["state", "id"], unique=False)
    op.create_table(
        "survey_subjects",
        sa.Column("subject_pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("last_invited_at_us", sa.BigInteger(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject_pseudonym"),
    )
    op.create_table(
        "triggers",
        sa.Column("trigger_key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=64), nullable=False),
        sa.Column("invitation_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("trigger_key"),
    )
    op.create_table(
        "callback_tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("invitation_id", sa.String(length=36), nullable=False),
        sa.Column("org_unit", sa.String(length=64), nullable=False),
        sa.Column("consent_name", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("completed_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitations.id"], name="fk_callback_tasks_invitation"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id", name="uq_callback_tasks_invitation"),
    )
    op.create_index(
        "ix_callback_tasks_open",
        "callback_tasks",
        ["org_unit", "state", "created_at_us", "id"],
        unique=False,
    )
    op.create_table(
        "improvement_signals",
        sa.Column("improvement_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["improvement_id"], ["improvements.id"], name="fk_improvement_signals_improvement"
        ),
        sa.PrimaryKeyConstraint("improvement_id", "position"),
    )
    op.create_table(
        "panel_draw_members",
        sa.Column("draw_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["draw_id"], ["panel_draws.id"], name="fk_panel_draw_members_draw"),
        sa.PrimaryKeyConstraint("draw_id", "position"),
    )
    op.create_table(
        "panel_member_keys",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["panel_members.id"], name="fk_panel_member_keys_member"
        ),
        sa.PrimaryKeyConstraint("member_id"),
    )
    op.create_table(
        "responses",
        sa.Column("invitation_id", sa.String(length=36), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("aspect", sa.String(length=64), nullable=False),
        sa.Column("good_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("better_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("may_call_back", sa.Boolean(), nullable=False),
        sa.Column("submitted_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitations.id"], name="fk_responses_invitation"
        ),
        sa.PrimaryKeyConstraint("invitation_id"),
    )


def downgrade() -> None:
    """Drop them."""
    for table in [
        "responses",
        "panel_member_keys",
        "panel_draw_members",
        "improvement_signals",
        "callback_tasks",
        "triggers",
        "survey_subjects",
        "panel_members",
        "panel_draws",
        "objections",
        "invitations",
        "improvements",
    ]:
        op.drop_table(table)
