"""The one writer of the processing log: appends records, maintains the tree, signs heads.

Serialisation: one lock per process, and in the database the ``log_state`` row, which every
append and prune updates first, so a second process (on SQLite or PostgreSQL) waits until the
first commits; ``leaf_index`` and ``record_id`` are unique besides. Concurrent appends of one
process are committed together (group commit): whoever takes the lock writes every batch
queued so far in one transaction and signs one tree head over them, so a head is signed after
every transaction, and the latest head always covers every record.

The writer keeps the compact range (the right edge of the tree) in memory and reloads it from
``tree_nodes`` in O(log n) whenever another process appended; on reload it checks the range
against the latest signed head and refuses to append to a log that does not match it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import Engine

from stadskamer.audit.adapters.database import (
    LogState,
    fetch_nodes,
    head_at,
    head_row,
    latest_head,
    lock_state,
    record_row,
)
from stadskamer.audit.adapters.orm import (
    STATE_ROW,
    log_state,
    processing_records,
    tree_heads,
    tree_nodes,
)
from stadskamer.audit.domain import LogRecord, NewRecord, decode_leaf
from stadskamer.audit.merkle import CompactRange, prefix_nodes, range_hash
from stadskamer.audit.tree_heads import SignedTreeHead, TreeHeadSigner
from stadskamer.common.db import database_errors
from stadskamer.common.errors import AlreadyExists, FailedPrecondition


@dataclass(frozen=True)
class Appended:
    """Where a batch went, and a signed head covering it."""

    indexes: list[int]
    head: SignedTreeHead


@dataclass
class _Ticket:
    """One caller's batch waiting for a writer."""

    records: Sequence[NewRecord]
    result: Appended | None = None
    error: BaseException | None = None
    done: bool = False
    indexes: list[int] = field(default_factory=list)


def _inconsistent() -> FailedPrecondition:
    return FailedPrecondition(
        "the processing log does not match its latest signed tree head; run audit verify",
        "LOG_INCONSISTENT",
    )


class LogWriter:
    """Appends to and prunes the log; safe for many threads and many processes."""

    def __init__(
        self,
        engine: Engine,
        signer: TreeHeadSigner,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._signer = signer
        self._clock = clock
        self._write_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self._tree: CompactRange | None = None

    def append(self, records: Sequence[NewRecord]) -> Appended:
        """Store the records (existing record ids give their first index) and sign a head."""
        ticket = _Ticket(records)
        with self._queue_lock:
            self._queue.append(ticket)
        with self._write_lock:
            if not ticket.done:
                with self._queue_lock:
                    tickets, self._queue = self._queue, []
                self._write_group(tickets)
        if ticket.error is not None:
            raise ticket.error
        assert ticket.result is not None
        return ticket.result

    def prune(self, size: int, record: NewRecord) -> Appended:
        """Remove records ``[0, size)``, keeping the nodes later proofs need, and log it.

        ``size`` must be the size of a signed head whose root the kept nodes reproduce; the
        prune record is appended in the same transaction.
        """
        ticket = _Ticket([record])
        with self._write_lock:
            self._transaction([ticket], prune_to=size)
        if ticket.error is not None:
            raise ticket.error
        assert ticket.result is not None
        return ticket.result

    def _write_group(self, tickets: list[_Ticket]) -> None:
        try:
            self._transaction(tickets)
        except BaseException as error:
            for ticket in tickets:
                ticket.error = error
                ticket.done = True

    def _transaction(self, tickets: list[_Ticket], prune_to: int | None = None) -> None:
        """Append the tickets' records (and prune) in one transaction; set their results."""
        try:
            with database_errors(), self._engine.begin() as connection:
                state = lock_state(connection)
                tree = self._load(connection, state)
                if prune_to is not None:
                    self._check_prunable(connection, state, prune_to)
                pending = _stage(connection, tree.size, tickets)
                head = self._store(connection, tree, pending)
                if prune_to is not None:
                    _remove_prefix(connection, prune_to)
        except BaseException:
            self._tree = None
            raise
        self._tree = tree
        for ticket in tickets:
            if ticket.error is None:
                ticket.result = Appended(ticket.indexes, head)
            ticket.done = True

    def _load(self, connection: Connection, state: LogState) -> CompactRange:
        """The compact range at ``state.tree_size`` (a copy), checked against the head."""
        if self._tree is not None and self._tree.size == state.tree_size:
            return self._tree.copy()
        keys = prefix_nodes(state.tree_size)
        nodes = fetch_nodes(connection, keys)
        if len(nodes) != len(keys):
            raise _inconsistent()
        tree = CompactRange(state.tree_size, [nodes[key] for key in keys])
        head = latest_head(connection)
        if state.tree_size == 0 and head is None:
            return tree
        if (
            head is None
            or head.head.tree_size != state.tree_size
            or head.head.root_hash != tree.root()
            or not head.verify(self._signer.public_key)
        ):
            raise _inconsistent()
        return tree

    def _store(
        self, connection: Connection, tree: CompactRange, pending: list[NewRecord]
    ) -> SignedTreeHead:
        """Insert the new records and nodes, update the state row, sign and store a head."""
        if not pending:
            head = latest_head(connection)
            return head if head is not None else self._signer.sign(0, tree.root())
        now = self._clock()
        rows: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for new in pending:
            row = record_row(new.at(tree.size, now))
            rows.append(row)
            completed = tree.append(row["leaf_hash"])
            nodes += [{"level": lv, "node_index": ix, "hash": h} for lv, ix, h in completed]
        connection.execute(insert(processing_records), rows)
        connection.execute(insert(tree_nodes), nodes)
        connection.execute(
            update(log_state).where(log_state.c.id == STATE_ROW).values(tree_size=tree.size)
        )
        head = self._signer.sign(tree.size, tree.root())
        connection.execute(insert(tree_heads).values(**head_row(head)))
        return head

    def _check_prunable(self, connection: Connection, state: LogState, size: int) -> None:
        if not state.pruned_size < size <= state.tree_size:
            raise FailedPrecondition("nothing to prune up to that size", "NOTHING_TO_PRUNE")
        head = head_at(connection, size)
        nodes = fetch_nodes(connection, prefix_nodes(size))
        try:
            root = range_hash(0, size, nodes)
        except KeyError:
            raise _inconsistent() from None
        if head is None or head.head.root_hash != root or not head.verify(self._signer.public_key):
            raise FailedPrecondition(
                "a prune must end at a signed tree head that the kept nodes reproduce",
                "NO_HEAD_AT_PRUNE_POINT",
            )


def _stage(connection: Connection, tree_size: int, tickets: list[_Ticket]) -> list[NewRecord]:
    """Give every record its leaf index: a retried record id its earlier one, a new record the
    next free one. A ticket that reuses a record id for another record fails alone."""
    ids = sorted({r.entry.record_id for t in tickets for r in t.records})
    rows = connection.execute(
        select(processing_records.c.record_id, processing_records.c.leaf_data).where(
            processing_records.c.record_id.in_(ids)
        )
    )
    known: dict[str, tuple[int, LogRecord | NewRecord]] = {}
    for row in rows:
        stored = decode_leaf(bytes(row.leaf_data))
        known[row.record_id] = (stored.index, stored)
    pending: list[NewRecord] = []
    for ticket in tickets:
        mine: list[NewRecord] = []
        seen: dict[str, tuple[int, LogRecord | NewRecord]] = {}
        try:
            indexes = []
            for new in ticket.records:
                earlier = seen.get(new.entry.record_id) or known.get(new.entry.record_id)
                if earlier is None:
                    earlier = (tree_size + len(pending) + len(mine), new)
                    mine.append(new)
                    seen[new.entry.record_id] = earlier
                elif not _same(earlier[1], new):
                    raise AlreadyExists(
                        "the record id was used for another record",
                        "RECORD_ID_REUSED",
                        {"field": "record_id"},
                    )
                indexes.append(earlier[0])
        except AlreadyExists as error:
            ticket.error = error
            continue
        ticket.indexes = indexes
        pending += mine
        known.update(seen)
    return pending


def _same(earlier: LogRecord | NewRecord, new: NewRecord) -> bool:
    return earlier.reports(new) if isinstance(earlier, LogRecord) else earlier == new


def _remove_prefix(connection: Connection, size: int) -> None:
    """Delete records ``[0, size)`` and every node inside it but the maximal subtrees."""
    connection.execute(delete(processing_records).where(processing_records.c.leaf_index < size))
    for level in range(size.bit_length()):
        count = size >> level
        keep_from = count - (count & 1)
        connection.execute(
            delete(tree_nodes).where(
                tree_nodes.c.level == level, tree_nodes.c.node_index < keep_from
            )
        )
    connection.execute(
        update(log_state).where(log_state.c.id == STATE_ROW).values(pruned_size=size)
    )
