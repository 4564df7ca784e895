"""Request ids kept only as keyed digests (consent key; see stadskamer.common.request_ids).

Revision ID: 0003
Revises: 0002
"""

from stadskamer.common.request_id_migration import digest_request_ids, restore_request_id_column

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace request_id by request_digest, unique."""
    digest_request_ids("consents", "uq_consents_request_digest", domain="consent", key_column="seq")


def downgrade() -> None:
    """Bring back a request_id column, holding the digests' hex."""
    restore_request_id_column("consents", "uq_consents_request_id", 64, key_column="seq")
