"""Complaints, case counters, assignment history and the event outbox.

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
        "complaints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_number", sa.String(24), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("subject_pseudonym", sa.LargeBinary(32), nullable=False),
        sa.Column("channel", sa.SmallInteger, nullable=False),
        sa.Column("received_at_us", sa.BigInteger, nullable=False),
        sa.Column("org_unit", sa.String(64), nullable=False),
        sa.Column("about_official", sa.Boolean, nullable=False),
        sa.Column("description_sealed", sa.LargeBinary, nullable=False),
        sa.Column("key_version", sa.String(16), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("coordinator", sa.String(64), nullable=False),
        sa.Column("callback_due", sa.Date, nullable=False),
        sa.Column("callback_at_us", sa.BigInteger, nullable=True),
        sa.Column("handling_form", sa.String(32), nullable=True),
        sa.Column("advisory_committee", sa.Boolean, nullable=False),
        sa.Column("decision_due", sa.Date, nullable=False),
        sa.Column("deadline_extended", sa.Boolean, nullable=False),
        sa.Column("extension_reason_sealed", sa.LargeBinary, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("not_handled_reason", sa.String(32), nullable=True),
        sa.Column("handled_by_org_unit", sa.String(64), nullable=False),
        sa.Column("decided_at_us", sa.BigInteger, nullable=True),
        sa.Column("closed_at_us", sa.BigInteger, nullable=True),
        sa.Column("withdrawn_at_us", sa.BigInteger, nullable=True),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("updated_at_us", sa.BigInteger, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.UniqueConstraint("case_number", name="uq_complaints_case_number"),
        sa.UniqueConstraint("request_id", name="uq_complaints_request_id"),
    )
    for name, columns in (
        ("ix_complaints_received", ["received_at_us", "id"]),
        ("ix_complaints_status", ["status", "received_at_us", "id"]),
        ("ix_complaints_coordinator", ["coordinator", "received_at_us", "id"]),
        ("ix_complaints_org_unit", ["org_unit", "received_at_us", "id"]),
    ):
        op.create_index(name, "complaints", columns)
    op.create_table(
        "case_counters",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column(
            "complaint_id",
            sa.String(36),
            sa.ForeignKey("complaints.id", name="fk_assignments_complaint"),
            primary_key=True,
        ),
        sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("coordinator", sa.String(64), nullable=False),
        sa.Column("reason_sealed", sa.LargeBinary, nullable=True),
        sa.Column("assigned_by", sa.String(255), nullable=False),
        sa.Column("assigned_at_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "outbox_events",
        sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("delivered_at_us", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("event_id", name="uq_outbox_events_event_id"),
    )
    op.create_index("ix_outbox_events_pending", "outbox_events", ["delivered_at_us", "sequence"])
    op.create_table(
        "outbox_deliveries",
        sa.Column(
            "sequence",
            sa.Integer,
            sa.ForeignKey("outbox_events.sequence", name="fk_outbox_deliveries_sequence"),
            primary_key=True,
        ),
        sa.Column("sink", sa.String(255), primary_key=True),
        sa.Column("delivered_at_us", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    for table in ("outbox_deliveries", "outbox_events", "assignments", "case_counters"):
        op.drop_table(table)
    op.drop_table("complaints")
