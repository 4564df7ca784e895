"""Nothing another domain stores is kept here as it is: trigger keys become keyed digests,
a call-back task's consent name is sealed.

A trigger key (``event:<id>``, ``request:<id>``) is replaced by its HMAC-SHA256 in hex under
``HKDF(y_onderzoek, "stadskamer/surveys/triggers/v1")``; ``callback_tasks.consent_name`` by
``consent_sealed`` (AES-GCM under the texts key, associated data ``<task id>/consent``).
Needs the onderzoek secret key (``domain_secret_key``) when there are rows. One-way: the
clear values are not kept, so there is no downgrade.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from stadskamer.common.db import migration_secret
from stadskamer.common.references import KeyedDigest
from stadskamer.common.sealing import Sealer, derive_key

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRIGGERS = b"stadskamer/surveys/triggers/v1"
TEXTS = b"stadskamer/surveys/texts/v1"

_triggers = sa.table("triggers", sa.column("trigger_key", sa.String))
_tasks = sa.table(
    "callback_tasks",
    sa.column("id", sa.String),
    sa.column("consent_name", sa.String),
    sa.column("consent_sealed", sa.LargeBinary),
)


def upgrade() -> None:
    """Rewrite the trigger keys, seal the consent names."""
    connection = op.get_bind()
    keys = list(connection.execute(sa.select(_triggers.c.trigger_key)).scalars())
    if keys:
        digest = KeyedDigest(migration_secret("domain_secret_key"), TRIGGERS)
        for key in keys:
            connection.execute(
                sa.update(_triggers)
                .where(_triggers.c.trigger_key == key)
                .values(trigger_key=digest.hex(key))
            )
    with op.batch_alter_table("callback_tasks") as batch:
        batch.add_column(sa.Column("consent_sealed", sa.LargeBinary(), nullable=True))
    tasks = connection.execute(sa.select(_tasks.c.id, _tasks.c.consent_name)).all()
    if tasks:
        texts = Sealer(derive_key(migration_secret("domain_secret_key"), TEXTS))
        for task_id, consent in tasks:
            connection.execute(
                sa.update(_tasks)
                .where(_tasks.c.id == task_id)
                .values(consent_sealed=texts.seal(consent, f"{task_id}/consent"))
            )
    with op.batch_alter_table("callback_tasks") as batch:
        batch.alter_column("consent_sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column("consent_name")


def downgrade() -> None:
    """None: the clear values are gone."""
    raise NotImplementedError("0002 is one-way: the clear trigger keys are not kept")
