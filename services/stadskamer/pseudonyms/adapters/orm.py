"""Tables of the pseudonym service's own database."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table

metadata = MetaData()

# Every hand-out of a domain decryption key: which caller received which domain's key when.
# The key itself is never stored.
key_issuances = Table(
    "key_issuances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(63), nullable=False, index=True),
    Column("key_version", String(16), nullable=False),
    Column("caller", String(255), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("trace_id", LargeBinary(16), nullable=False),
)

# Link grants already honoured: the grant id may be used once. Rows are kept until well after
# the grant expired, then pruned.
used_link_grants = Table(
    "used_link_grants",
    metadata,
    Column("grant_id", String(32), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# Tagged pseudonyms already spent (an issued or grant-bound encrypted pseudonym converts into
# its own audience once): the SHA-256 of the tag message, kept until the tag expired.
spent_tags = Table(
    "spent_tags",
    metadata,
    Column("use_key", LargeBinary(32), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# How many citizens each actor had issued per hour, for the issuance limit.
issuance_counts = Table(
    "issuance_counts",
    metadata,
    Column("actor", String(255), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("issued", Integer, nullable=False),
)
