"""The KCC contact a complaint names is no longer stored in clear.

``complaints.contact_id`` becomes ``contact_reference`` (HMAC-SHA256 under
``HKDF(y_klachten, "stadskamer/complaints/contacts/v1")``, NULL for none) and
``contact_sealed`` (AES-GCM under the description key, associated data ``<id>/contact``).
Needs the klachten secret key (``domain_secret_key``) when a complaint names a contact.
One-way: the clear ids are not kept, so there is no downgrade.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from stadskamer.common.db import migration_secret
from stadskamer.common.references import KeyedDigest
from stadskamer.common.sealing import Sealer, derive_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CONTACTS = b"stadskamer/complaints/contacts/v1"
TEXTS = b"stadskamer/complaints/description/v1"

_complaints = sa.table(
    "complaints",
    sa.column("id", sa.String),
    sa.column("contact_id", sa.String),
    sa.column("contact_reference", sa.LargeBinary),
    sa.column("contact_sealed", sa.LargeBinary),
)


def upgrade() -> None:
    """Add the keyed and sealed columns, fill them, drop the clear one."""
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("contact_reference", sa.LargeBinary(32), nullable=True))
        batch.add_column(sa.Column("contact_sealed", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    named = connection.execute(
        sa.select(_complaints.c.id, _complaints.c.contact_id).where(_complaints.c.contact_id != "")
    ).all()
    if named:
        secret = migration_secret("domain_secret_key")
        digest, texts = KeyedDigest(secret, CONTACTS), Sealer(derive_key(secret, TEXTS))
        for complaint_id, contact in named:
            connection.execute(
                sa.update(_complaints)
                .where(_complaints.c.id == complaint_id)
                .values(
                    contact_reference=digest.digest(contact),
                    contact_sealed=texts.seal(contact, f"{complaint_id}/contact"),
                )
            )
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("contact_id")


def downgrade() -> None:
    """None: the clear ids are gone."""
    raise NotImplementedError("0003 is one-way: the clear contact ids are not kept")
