"""``audit verify``: recompute the whole log from its stored records and check everything.

One pass over a consistent snapshot of the database, in O(log n) memory:

1. every signed tree head's Ed25519 signature;
2. a pruned prefix ``[0, p)``: its kept subtree nodes must reproduce the signed head of size
   ``p``, and a retention prune record naming ``p`` must be in the log;
3. every record from ``p`` on, in leaf order: no index missing, the leaf hash is SHA-256 of its
   data, the data is a canonical record naming its own index, the query columns equal the data;
4. the tree recomputed from the leaf hashes: every stored node (read in the order in which
   appends complete them) must equal the recomputed one, and at each signed head's size the
   recomputed root must equal the signed root;
5. the end: the newest signed head covers exactly the stored records (nothing truncated, nothing
   appended behind the signer's back) and the state row agrees.

The first difference raises :class:`Tampered` naming the first record concerned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Row, select
from sqlalchemy.engine import Engine

from stadskamer.audit.adapters.database import (
    QUERY_COLUMNS,
    LogState,
    head_from_row,
    leaf_columns,
    read_state,
)
from stadskamer.audit.adapters.orm import processing_records, tree_heads, tree_nodes
from stadskamer.audit.domain import leaf_document
from stadskamer.audit.merkle import CompactRange, leaf_hash, prefix_nodes
from stadskamer.audit.tree_heads import SignedTreeHead
from stadskamer.common.db import database_errors

PRUNE_OPERATION = "audit.retention-prune"
_BATCH = 5000
_COLUMNS = (*QUERY_COLUMNS, "leaf_data", "leaf_hash")
_RECORDS = select(*(processing_records.c[name] for name in _COLUMNS)).order_by(
    processing_records.c.leaf_index
)


class Tampered(Exception):
    """The log differs from what was signed; ``index`` is the first record concerned."""

    def __init__(self, message: str, index: int | None) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class Verified:
    """A clean log: its size, root hash, pruned prefix and number of signed heads checked."""

    size: int
    root: bytes
    pruned: int
    heads: int


def verify_log(engine: Engine, public_key: Ed25519PublicKey) -> Verified:
    """Check the log in ``engine``'s database; raise :class:`Tampered` at the first difference."""
    with database_errors(), _snapshot(engine) as connection:
        heads = [head_from_row(r) for r in connection.execute(select(tree_heads))]
        for signed in sorted(heads, key=lambda h: h.head.tree_size):
            if not signed.verify(public_key):
                size = signed.head.tree_size
                raise Tampered(
                    f"the signed tree head of size {size} has an invalid signature", None
                )
        checker = _Checker(heads, read_state(connection), _nodes(connection))
        for row in _stream(connection, _RECORDS):
            checker.record(row)
        return checker.finish()


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one snapshot (appends may go on meanwhile)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN")
            yield connection
        return
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        yield connection


def _stream(connection: Connection, query: Any) -> Iterator[Row[Any]]:
    yield from connection.execution_options(yield_per=_BATCH).execute(query)


def _nodes(connection: Connection) -> Iterator[Row[Any]]:
    """Every stored node in the order appends complete them: by end leaf, then level."""
    end = (tree_nodes.c.node_index + 1).op("<<")(tree_nodes.c.level)
    return _stream(connection, select(tree_nodes).order_by(end, tree_nodes.c.level))


class _Checker:
    """Feeds on records in leaf order; see the module docstring for what it checks."""

    def __init__(
        self, heads: list[SignedTreeHead], state: LogState, nodes: Iterator[Row[Any]]
    ) -> None:
        self._heads = {h.head.tree_size: h for h in heads}
        self._latest = max(self._heads, default=0)
        self._state = state
        self._nodes = nodes
        self._matched = state.pruned_size
        self._prune_recorded = False
        self._tree = self._prefix(state.pruned_size)

    def _prefix(self, pruned: int) -> CompactRange:
        """The compact range of the pruned prefix, checked against the head of its size."""
        if pruned == 0:
            return CompactRange()
        hashes = []
        for key in prefix_nodes(pruned):
            node = next(self._nodes, None)
            if node is None or (node.level, node.node_index) != key:
                raise Tampered(f"the tree nodes kept for pruned records 0..{pruned - 1} changed", 0)
            hashes.append(bytes(node.hash))
        tree = CompactRange(pruned, hashes)
        head = self._heads.get(pruned)
        if head is None or head.head.root_hash != tree.root():
            raise Tampered(
                f"records 0..{pruned - 1} were pruned, but no signed tree head of size "
                f"{pruned} matches what was kept",
                0,
            )
        return tree

    def record(self, row: Row[Any]) -> None:
        """Check one stored record and extend the recomputed tree with it."""
        index = self._tree.size
        if row.leaf_index != index:
            raise Tampered(
                f"record {index} is missing (the next stored is {row.leaf_index})", index
            )
        data, stored_hash = bytes(row.leaf_data), bytes(row.leaf_hash)
        if leaf_hash(data) != stored_hash:
            raise Tampered(f"record {index}: its leaf hash does not match its data", index)
        try:
            document = leaf_document(data)
            columns = leaf_columns(document)
        except ValueError:
            raise Tampered(f"record {index}: its data is not a canonical record", index) from None
        if document["index"] != index:
            raise Tampered(f"record {index}: holds the data of record {document['index']}", index)
        if tuple(row[: len(columns)]) != tuple(columns.values()):
            name = next(n for n, v in columns.items() if row._mapping[n] != v)
            raise Tampered(f"record {index}: column {name} differs from its data", index)
        if document["name"] == PRUNE_OPERATION:
            self._prune_recorded |= document["reference"] == str(self._state.pruned_size)
        for level, node_index, expected in self._tree.append(stored_hash):
            node = next(self._nodes, None)
            found = None if node is None else (node.level, node.node_index, bytes(node.hash))
            if found != (level, node_index, expected):
                raise Tampered(
                    f"record {index}: the stored tree node (level {level}, index {node_index}) "
                    "does not match the records",
                    index,
                )
        self._check_head(index + 1)

    def _check_head(self, size: int) -> None:
        head = self._heads.get(size)
        if head is None:
            return
        if head.head.root_hash != self._tree.root():
            first = self._matched
            raise Tampered(
                f"record {first}: records {first}..{size - 1} do not reproduce the signed tree "
                f"head of size {size} (one of them was changed, removed or inserted)",
                first,
            )
        self._matched = size

    def finish(self) -> Verified:
        """The final checks; the clean log's figures."""
        size = self._tree.size
        if self._latest > size:
            raise Tampered(
                f"record {size} is missing: the log was truncated below the signed tree head "
                f"of size {self._latest}",
                size,
            )
        if size > self._latest:
            raise Tampered(
                f"record {self._latest}: not covered by any signed tree head (inserted)",
                self._latest,
            )
        if next(self._nodes, None) is not None:
            raise Tampered("a stored tree node lies outside the tree", None)
        if self._state.tree_size != size:
            raise Tampered(
                f"the state row counts {self._state.tree_size} records, not {size}", None
            )
        pruned = self._state.pruned_size
        if pruned and not self._prune_recorded:
            raise Tampered(
                f"record 0: records 0..{pruned - 1} were removed without a retention prune record",
                0,
            )
        return Verified(size, self._tree.root(), pruned, len(self._heads))
