"""Tables of the consent service's own database.

A consent row is written once when given and updated once when withdrawn (the withdrawal
columns); rows are never deleted. The subject is the 32-byte consent-domain pseudonym only,
next to the consent domain's stored reference of it (a tagged pseudonym that only the consent
service can have converted, for the subject of later processing records); the caller's
request_id only its keyed digest.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

consents = Table(
    "consents",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    # The keyed digest of the caller's request_id (see stadskamer.common.request_ids).
    Column("request_digest", LargeBinary(32), nullable=False),
    Column("subject", LargeBinary(32), nullable=False),
    Column("purpose", String(63), nullable=False),
    Column("purpose_version", Integer, nullable=False),
    Column("notice_hash", LargeBinary(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("capture_method", String(16), nullable=False),
    Column("agent_id", String(64), nullable=False),
    Column("recorded_by", String(255), nullable=False),
    Column("given_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("receipt", Text, nullable=False),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("withdrawal_reason", String(32), nullable=True),
    Column("withdrawn_by", String(255), nullable=True),
    Column("withdrawal_receipt", Text, nullable=True),
    Column("subject_reference", LargeBinary, nullable=True),
    UniqueConstraint("request_digest", name="uq_consents_request_digest"),
    Index("ix_consents_subject_purpose", "subject", "purpose"),
)
