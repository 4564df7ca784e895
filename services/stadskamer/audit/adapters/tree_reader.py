"""Reading the tree: the latest signed head and RFC 9162 proofs from stored subtree hashes.

A proof needs the hashes of at most O(log n) perfect subtrees; they are fetched in one
indexed query, after one query for the size of the newest signed head, on one connection.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import Engine

from stadskamer.audit.adapters.database import fetch_nodes, latest_head
from stadskamer.audit.adapters.orm import tree_heads
from stadskamer.audit.merkle import (
    Range,
    consistency_ranges,
    inclusion_ranges,
    needed_nodes,
    range_hash,
)
from stadskamer.audit.tree_heads import SignedTreeHead
from stadskamer.common.db import database_errors
from stadskamer.common.errors import FailedPrecondition, InvalidArgument

_SIGNED_SIZE = select(func.coalesce(func.max(tree_heads.c.tree_size), 0))


class TreeReader:
    """Heads and proofs of the log in one database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def latest(self) -> SignedTreeHead | None:
        """The newest signed head, if any."""
        with database_errors(), self._engine.connect() as connection:
            return latest_head(connection)

    def inclusion_proof(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """The leaf hash and the inclusion path of leaf ``index`` in the tree of ``size``;
        INVALID_ARGUMENT (``tree_size``) beyond the newest signed head."""
        with database_errors(), self._engine.connect() as connection:
            _require_signed(connection, size, "tree_size")
            hashes = _hashes(connection, [(index, index + 1), *inclusion_ranges(index, size)])
            return hashes[0], hashes[1:]

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """The consistency path between the trees of ``first`` and ``second`` leaves;
        INVALID_ARGUMENT (``second_size``) beyond the newest signed head."""
        with database_errors(), self._engine.connect() as connection:
            _require_signed(connection, second, "second_size")
            return _hashes(connection, consistency_ranges(first, second))


def _require_signed(connection: Connection, size: int, field: str) -> None:
    current = int(connection.execute(_SIGNED_SIZE).scalar_one())
    if not 1 <= size <= current:
        raise InvalidArgument.for_field(field, f"must be between 1 and {current}")


def _hashes(connection: Connection, ranges: list[Range]) -> list[bytes]:
    nodes = fetch_nodes(connection, needed_nodes(ranges))
    try:
        return [range_hash(start, end, nodes) for start, end in ranges]
    except KeyError:
        raise FailedPrecondition(
            "the proof needs records that were pruned", "RECORDS_PRUNED"
        ) from None
