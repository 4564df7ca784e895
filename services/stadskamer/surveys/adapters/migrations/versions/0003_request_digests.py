"""Request ids kept only as keyed digests (onderzoek key; see stadskamer.common.request_ids):
improvements and panel draws get a request_digest, CreateInvitation's trigger keys become
``request:<digest hex>``.

Revision ID: 0003
Revises: 0002
"""

from stadskamer.common.request_id_migration import (
    digest_prefixed_keys,
    digest_request_ids,
    restore_request_id_column,
)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DOMAIN = "onderzoek"


def upgrade() -> None:
    """Replace the request ids by their digests."""
    digest_request_ids("improvements", "uq_improvements_request_digest", domain=DOMAIN)
    digest_request_ids("panel_draws", "uq_panel_draws_request_digest", domain=DOMAIN)
    digest_prefixed_keys("triggers", "trigger_key", "request:", DOMAIN)


def downgrade() -> None:
    """Bring back request_id columns holding the digests' hex (trigger keys keep theirs)."""
    restore_request_id_column("panel_draws", "uq_panel_draws_request_id", 128)
    restore_request_id_column("improvements", "uq_improvements_request_id", 128)
