"""Request ids kept only as keyed digests (per domain; see stadskamer.common.request_ids).

Existing contacts keep their ids (other services refer to them); only new contacts get ids
derived from the digest.

Revision ID: 0004
Revises: 0003
"""

from stadskamer.common.request_id_migration import digest_request_ids, restore_request_id_column

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace request_id by request_digest, unique per domain."""
    digest_request_ids("contacts", "uq_contacts_domain_request_digest", domain_column="domain")


def downgrade() -> None:
    """Bring back a request_id column, holding the digests' hex."""
    restore_request_id_column(
        "contacts", "uq_contacts_domain_request_id", 128, domain_column="domain"
    )
