"""Request ids kept only as keyed digests (klachten key; see stadskamer.common.request_ids).

Revision ID: 0004
Revises: 0003
"""

from stadskamer.common.request_id_migration import digest_request_ids, restore_request_id_column

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace request_id by request_digest, unique."""
    digest_request_ids("complaints", "uq_complaints_request_digest", domain="klachten")


def downgrade() -> None:
    """Bring back a request_id column, holding the digests' hex."""
    restore_request_id_column("complaints", "uq_complaints_request_id", 128)
