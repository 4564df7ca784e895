"""Applying retention to the stored log: verify, find the prune point, prune and log it.

The whole log is verified first, so a prune never removes the evidence of tampering; the
prune itself (records removed, kept nodes, a ``audit.retention-prune`` record naming the new
prefix size) is one transaction of the :class:`LogWriter`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.engine import Engine

from stadskamer.audit.activities import ActivityRegister
from stadskamer.audit.adapters.database import read_state
from stadskamer.audit.adapters.log_writer import LogWriter
from stadskamer.audit.adapters.orm import processing_records as records
from stadskamer.audit.adapters.orm import tree_heads
from stadskamer.audit.adapters.verifier import PRUNE_OPERATION, verify_log
from stadskamer.audit.domain import NewRecord, ProcessingEntry, Status, from_microseconds
from stadskamer.audit.retention import first_unexpired, prune_point
from stadskamer.common.db import database_errors
from stadskamer.common.processing_log import current_parent_operation_id
from stadskamer.common.telemetry import current_trace_ids

OWN_DOMAIN = "audit"


@dataclass(frozen=True)
class Pruned:
    """The outcome: the prefix size before and after (equal when nothing was pruned)."""

    before: int
    after: int


def prune_expired(
    engine: Engine,
    writer: LogWriter,
    register: ActivityRegister,
    public_key: Ed25519PublicKey,
    now: datetime,
    actor: str,
) -> Pruned:
    """Prune the longest leading range whose records are all past their retention."""
    verified = verify_log(engine, public_key)
    with database_errors(), engine.connect() as connection:
        state = read_state(connection)
        rows = connection.execution_options(yield_per=5000).execute(
            select(
                records.c.leaf_index,
                records.c.activity_id,
                records.c.activity_version,
                records.c.logged_time_us,
            )
            .where(records.c.leaf_index >= state.pruned_size)
            .order_by(records.c.leaf_index)
        )
        keep_from = first_unexpired(
            (
                (
                    r.leaf_index,
                    r.activity_id,
                    r.activity_version,
                    from_microseconds(r.logged_time_us),
                )
                for r in rows
            ),
            register,
            now,
        )
        sizes = connection.execute(select(tree_heads.c.tree_size)).scalars().all()
    point = prune_point(state.pruned_size, verified.size if keep_from is None else keep_from, sizes)
    if point is None:
        return Pruned(state.pruned_size, state.pruned_size)
    writer.prune(point, _prune_record(register, point, now, actor))
    return Pruned(state.pruned_size, point)


def _prune_record(register: ActivityRegister, point: int, now: datetime, actor: str) -> NewRecord:
    activity = register.for_operation(PRUNE_OPERATION)
    trace_id, operation_id = current_trace_ids()
    entry = ProcessingEntry(
        record_id=uuid.uuid4().hex,
        trace_id=trace_id,
        operation_id=operation_id,
        parent_operation_id=current_parent_operation_id(),
        name=PRUNE_OPERATION,
        start_time=now,
        end_time=now,
        status=Status.OK,
        outcome="OK",
        purpose=activity.purpose,
        legal_basis=activity.legal_basis,
        actor=actor,
        requester_domain=OWN_DOMAIN,
        target_domain=OWN_DOMAIN,
        basis="retention",
        reference=str(point),
    )
    return NewRecord(entry.check(), activity.id, activity.version, b"", actor)
