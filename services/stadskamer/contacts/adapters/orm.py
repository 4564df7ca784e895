"""Tables of the contacts service's own database.

Times are stored as UTC microseconds since the Unix epoch (``*_us``), identical on SQLite and
PostgreSQL, which keeps keyset pagination and bucket arithmetic portable. The subject is the
32-byte domain pseudonym (NULL for an anonymous contact), with the stored reference the
pseudonym service handed out when the subject was claimed (a tagged ciphertext of the
contact's own domain, unlike any other store's value), through which the service names the
citizen in later records and events; the summary is stored sealed (see
:mod:`stadskamer.contacts.summaries`), the caller's request_id only as its keyed digest. No
BSN and no polymorphic pseudonym is stored.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from stadskamer.common.outbox import Outbox

metadata = MetaData()

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("domain", String(63), nullable=False),
    # The keyed digest of the caller's request_id (see stadskamer.common.request_ids).
    Column("request_digest", LargeBinary(32), nullable=False),
    Column("subject_pseudonym", LargeBinary(32), nullable=True),
    Column("channel", SmallInteger, nullable=False),
    Column("topic", String(64), nullable=False),
    Column("org_unit", String(64), nullable=False),
    Column("occurred_at_us", BigInteger, nullable=False),
    Column("resolved_first_time", Boolean, nullable=False),
    Column("summary_sealed", LargeBinary, nullable=True),
    Column("key_version", String(16), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    # The repeat signal as computed at registration, returned unchanged on a retry.
    Column("is_repeat", Boolean, nullable=False),
    Column("repeat_previous", Integer, nullable=False),
    Column("repeat_same_topic", Boolean, nullable=False),
    Column("repeat_last_at_us", BigInteger, nullable=True),
    Column("repeat_channels", String(64), nullable=False),
    Column("repeat_window_days", Integer, nullable=False),
    Column("subject_reference", LargeBinary, nullable=True),
    UniqueConstraint("domain", "request_digest", name="uq_contacts_domain_request_digest"),
    Index("ix_contacts_subject", "domain", "subject_pseudonym", "occurred_at_us", "id"),
    Index("ix_contacts_domain_time", "domain", "occurred_at_us", "id"),
)

# ContactRegistered events, written in the registering transaction (see common.outbox).
outbox = Outbox(metadata)

# Processing records, kept in the same transactions (see common.record_keeping).
record_outbox = Outbox(metadata, prefix="records")

# Link grants honoured by ListContacts, each once, until they expire (then the row is deleted).
# The grant id is kept only as a keyed digest, so no other store holds the same value.
spent_link_grants = Table(
    "spent_link_grants",
    metadata,
    Column("grant_digest", LargeBinary(32), primary_key=True),
    Column("expires_at_us", BigInteger, nullable=False),
    Index("ix_spent_link_grants_expiry", "expires_at_us"),
)
