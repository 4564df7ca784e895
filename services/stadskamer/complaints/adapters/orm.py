"""Tables of the complaints service's own database.

Moments are UTC microseconds since the Unix epoch (``*_us``), identical on SQLite and
PostgreSQL; due dates are ``Date`` columns (Dutch calendar days). The subject is the 32-byte
``klachten`` domain pseudonym only; the description, every reason and the id of the KCC
contact a complaint was made in are stored sealed (:mod:`stadskamer.complaints.texts`), that
contact id also as its keyed digest, so no other domain's identifier is stored as it is; the
caller's request_id only as its keyed digest. Enumerations are stored by name. No BSN, no
polymorphic pseudonym and no free text in clear is stored. The complainant's stored reference
(a tagged klachten pseudonym the pseudonym service handed out when it was claimed) names them
in later records and events; only the pseudonym service can turn it into anything else. A
spent link grant is kept only until it expires.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
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

complaints = Table(
    "complaints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_number", String(24), nullable=False),
    # The keyed digest of the caller's request_id (see stadskamer.common.request_ids).
    Column("request_digest", LargeBinary(32), nullable=False),
    Column("subject_pseudonym", LargeBinary(32), nullable=False),
    # The complainant's stored reference (NULL: filed before references were kept).
    Column("subject_reference", LargeBinary, nullable=True),
    Column("channel", SmallInteger, nullable=False),
    Column("received_at_us", BigInteger, nullable=False),
    Column("org_unit", String(64), nullable=False),
    Column("about_official", Boolean, nullable=False),
    Column("description_sealed", LargeBinary, nullable=False),
    Column("key_version", String(16), nullable=False),
    # The KCC contact it was made in: its id's keyed digest and the sealed id (NULL: none).
    Column("contact_reference", LargeBinary(32), nullable=True),
    Column("contact_sealed", LargeBinary, nullable=True),
    Column("status", String(16), nullable=False),
    Column("coordinator", String(64), nullable=False),
    Column("callback_due", Date, nullable=False),
    Column("callback_at_us", BigInteger, nullable=True),
    Column("handling_form", String(32), nullable=True),
    Column("advisory_committee", Boolean, nullable=False),
    Column("decision_due", Date, nullable=False),
    Column("deadline_extended", Boolean, nullable=False),
    Column("extension_reason_sealed", LargeBinary, nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("not_handled_reason", String(32), nullable=True),
    Column("handled_by_org_unit", String(64), nullable=False),
    Column("decided_at_us", BigInteger, nullable=True),
    Column("closed_at_us", BigInteger, nullable=True),
    Column("withdrawn_at_us", BigInteger, nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    # Bumped by every change; the bump is also how a change takes its row (write) lock first.
    Column("revision", Integer, nullable=False),
    UniqueConstraint("case_number", name="uq_complaints_case_number"),
    UniqueConstraint("request_digest", name="uq_complaints_request_digest"),
    Index("ix_complaints_received", "received_at_us", "id"),
    Index("ix_complaints_status", "status", "received_at_us", "id"),
    Index("ix_complaints_coordinator", "coordinator", "received_at_us", "id"),
    Index("ix_complaints_org_unit", "org_unit", "received_at_us", "id"),
    Index("ix_complaints_subject", "subject_pseudonym", "received_at_us", "id"),
)

# The last case number given out per registration year.
case_counters = Table(
    "case_counters",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_number", Integer, nullable=False),
)

# The assignment history: the routing at filing (sequence 1, no reason), then reassignments.
assignments = Table(
    "assignments",
    metadata,
    Column(
        "complaint_id",
        String(36),
        ForeignKey("complaints.id", name="fk_assignments_complaint"),
        primary_key=True,
    ),
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("coordinator", String(64), nullable=False),
    Column("reason_sealed", LargeBinary, nullable=True),
    Column("assigned_by", String(255), nullable=False),
    Column("assigned_at_us", BigInteger, nullable=False),
)

# Link grants a read was made under: each opens one read, and is forgotten once expired.
spent_grants = Table(
    "spent_grants",
    metadata,
    Column("grant_id", String(32), primary_key=True),
    Column("expires_at_us", BigInteger, nullable=False),
    Index("ix_spent_grants_expiry", "expires_at_us"),
)

outbox = Outbox(metadata)
