"""Stored receipts lose their ``pii_principal_id`` (the consent-domain pseudonym).

Every stored receipt (given and withdrawn) that carries the claim is signed again with the
same claims less that one (same ``jti`` and ``iat``), under the current consent signing key
(``signing_key``, needed only when there is such a receipt). The consent id (``record_id``)
identifies the consent. No downgrade: the old receipts are not kept.

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

from stadskamer.common.db import migration_secret
from stadskamer.common.link_grants import from_b64url, sign_jws

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RECEIPT_TYPE = "stadskamer-consent-receipt+jwt"
SUBJECT_CLAIM = "pii_principal_id"

_consents = sa.table(
    "consents",
    sa.column("id", sa.String),
    sa.column("receipt", sa.Text),
    sa.column("withdrawal_receipt", sa.Text),
)


def _claims(receipt: str | None) -> dict[str, object] | None:
    """The claims of a receipt that names its citizen; None for none or one that does not."""
    if not receipt:
        return None
    claims = json.loads(from_b64url(receipt.split(".")[1]))
    return claims if SUBJECT_CLAIM in claims else None


def upgrade() -> None:
    """Sign every receipt that names its citizen again without that claim."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_consents.c.id, _consents.c.receipt, _consents.c.withdrawal_receipt)
    ).all()
    for consent_id, *receipts in rows:
        changes = {}
        for column, receipt in zip(("receipt", "withdrawal_receipt"), receipts, strict=True):
            claims = _claims(receipt)
            if claims is not None:
                del claims[SUBJECT_CLAIM]
                changes[column] = sign_jws(claims, migration_secret("signing_key"), RECEIPT_TYPE)
        if changes:
            connection.execute(
                sa.update(_consents).where(_consents.c.id == consent_id).values(**changes)
            )


def downgrade() -> None:
    """None: the old receipts are gone."""
    raise NotImplementedError("0002 is one-way: the old receipts are not kept")
