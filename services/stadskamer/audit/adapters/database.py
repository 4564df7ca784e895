"""Database helpers of the processing log: the engine, row mapping, node and head lookups.

The audit database runs SQLite with ``synchronous=FULL`` (the project default is NORMAL):
an appended record must survive a power loss once ``AppendRecords`` has answered.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, TextClause, select, text, update
from sqlalchemy.engine import Engine

from stadskamer.audit.adapters.orm import STATE_ROW, log_state, tree_heads, tree_nodes
from stadskamer.audit.domain import LogRecord, encode_leaf, leaf_document
from stadskamer.audit.merkle import NodeKey, leaf_hash
from stadskamer.audit.tree_heads import SignedTreeHead, TreeHead
from stadskamer.common.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = "audit"


def audit_engine(url: str) -> Engine:
    """An engine for the audit database (SQLite: every commit fsynced)."""
    return make_engine(url, SERVICE, durable=True)


@dataclass(frozen=True)
class LogState:
    """The lock row: how many records the tree has and how many leading ones were pruned."""

    tree_size: int
    pruned_size: int


_STATE = select(log_state.c.tree_size, log_state.c.pruned_size).where(log_state.c.id == STATE_ROW)
_LOCK = (
    update(log_state)
    .where(log_state.c.id == STATE_ROW)
    .values(tree_size=log_state.c.tree_size)
    .returning(log_state.c.tree_size, log_state.c.pruned_size)
)
_LATEST_HEAD = select(tree_heads).order_by(tree_heads.c.tree_size.desc()).limit(1)


def read_state(connection: Connection) -> LogState:
    """The state row as it is now."""
    row = connection.execute(_STATE).one()
    return LogState(int(row.tree_size), int(row.pruned_size))


def lock_state(connection: Connection) -> LogState:
    """Take the writer lock (an update of the state row, held until commit) and read it, in
    one statement (UPDATE ... RETURNING: SQLite 3.35 or newer, PostgreSQL)."""
    row = connection.execute(_LOCK).one()
    return LogState(int(row.tree_size), int(row.pruned_size))


QUERY_COLUMNS = (
    "leaf_index",
    "record_id",
    "name",
    "actor",
    "purpose",
    "requester_domain",
    "target_domain",
    "subject",
    "start_time_us",
    "logged_time_us",
    "activity_id",
    "activity_version",
    "reporter",
    "reference",
)


def leaf_columns(document: Mapping[str, Any]) -> dict[str, Any]:
    """The query columns of a record (in :data:`QUERY_COLUMNS` order), from its parsed leaf
    data (:func:`~stadskamer.audit.domain.leaf_document`)."""
    values = (
        document["index"],
        document["record_id"],
        document["name"],
        document["actor"],
        document["purpose"],
        document["requester_domain"],
        document["target_domain"],
        bytes.fromhex(document["subject"]) or None,
        document["start_time"],
        document["logged_at"],
        document["activity"],
        document["activity_version"],
        document["reporter"],
        document["reference"],
    )
    return dict(zip(QUERY_COLUMNS, values, strict=True))


def record_row(record: LogRecord) -> dict[str, Any]:
    """The ``processing_records`` row of a record: its columns, leaf data and leaf hash."""
    data = encode_leaf(record)
    return {**leaf_columns(leaf_document(data)), "leaf_data": data, "leaf_hash": leaf_hash(data)}


@functools.lru_cache(maxsize=256)
def _nodes_query(count: int) -> TextClause:
    """``SELECT`` of ``count`` nodes by primary key: an OR of equalities, so each is one index
    lookup (SQLite would scan the table for a row-value IN list). Cached per count."""
    terms = " OR ".join(f"(level = :l{i} AND node_index = :n{i})" for i in range(count))
    return text(f"SELECT level, node_index, hash FROM {tree_nodes.name} WHERE {terms}")  # noqa: S608


def fetch_nodes(connection: Connection, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """The stored hashes of the given nodes (missing ones are absent from the answer)."""
    wanted = sorted(set(keys))
    found: dict[NodeKey, bytes] = {}
    for offset in range(0, len(wanted), 100):
        chunk = wanted[offset : offset + 100]
        parameters: dict[str, int] = {}
        for number, (level, index) in enumerate(chunk):
            parameters[f"l{number}"] = level
            parameters[f"n{number}"] = index
        rows = connection.execute(_nodes_query(len(chunk)), parameters)
        found.update({(int(r.level), int(r.node_index)): bytes(r.hash) for r in rows})
    return found


def head_from_row(row: Row[Any]) -> SignedTreeHead:
    """A signed head from a ``tree_heads`` row."""
    head = TreeHead(int(row.tree_size), bytes(row.root_hash), int(row.timestamp_ms))
    return SignedTreeHead(head, bytes(row.signature), str(row.key_id))


def head_row(signed: SignedTreeHead) -> dict[str, Any]:
    """The ``tree_heads`` row of a signed head."""
    return {
        "tree_size": signed.head.tree_size,
        "root_hash": signed.head.root_hash,
        "timestamp_ms": signed.head.timestamp_ms,
        "signature": signed.signature,
        "key_id": signed.key_id,
    }


def latest_head(connection: Connection) -> SignedTreeHead | None:
    """The signed head of the largest size, if any."""
    row = connection.execute(_LATEST_HEAD).first()
    return head_from_row(row) if row is not None else None


def head_at(connection: Connection, tree_size: int) -> SignedTreeHead | None:
    """The signed head of exactly ``tree_size``, if one was signed."""
    row = connection.execute(select(tree_heads).where(tree_heads.c.tree_size == tree_size)).first()
    return head_from_row(row) if row is not None else None
