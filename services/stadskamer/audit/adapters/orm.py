"""Tables of the audit service's own database: records, tree nodes, signed heads, lock row.

``processing_records`` is append-only: ``leaf_data`` is the canonical record (the Merkle
leaf) and ``leaf_hash`` its RFC 9162 hash; the other columns repeat fields of the leaf data for
the privacy officer's queries (``audit verify`` checks that they agree), ``reference`` in the
keyed form the leaf holds (:mod:`stadskamer.audit.references`). ``tree_nodes`` holds
the hash of every perfect subtree ``(level, node_index)``, leaves at level 0. ``tree_heads``
holds every signed tree head. ``log_state`` has one row: appends and prunes update it first,
which serialises writers across processes (a lock row), and it records the pruned prefix.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
)

metadata = MetaData()

processing_records = Table(
    "processing_records",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("record_id", String(32), nullable=False, unique=True),
    Column("leaf_data", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("purpose", String(255), nullable=False),
    Column("requester_domain", String(255), nullable=False),
    Column("target_domain", String(255), nullable=False),
    Column("subject", LargeBinary(32), nullable=True),
    Column("start_time_us", BigInteger, nullable=False),
    Column("logged_time_us", BigInteger, nullable=False),
    Column("activity_id", String(63), nullable=False),
    Column("activity_version", Integer, nullable=False),
    Column("reporter", String(255), nullable=False),
    Column("reference", String(255), nullable=False, server_default=""),
    Index("ix_processing_records_subject", "subject"),
    Index("ix_processing_records_reference", "reference"),
    Index("ix_processing_records_actor", "actor"),
    Index("ix_processing_records_purpose", "purpose"),
    Index("ix_processing_records_requester_domain", "requester_domain"),
    Index("ix_processing_records_target_domain", "target_domain"),
    Index("ix_processing_records_start_time_us", "start_time_us"),
)

tree_nodes = Table(
    "tree_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("node_index", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

tree_heads = Table(
    "tree_heads",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("key_id", String(16), nullable=False),
)

log_state = Table(
    "log_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("pruned_size", BigInteger, nullable=False),
)

STATE_ROW = 1
