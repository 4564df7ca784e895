"""A transactional outbox: events stored in the writer's transaction, relayed at least once.

A service that must tell other services about a change writes the event into its own outbox
table in the SAME transaction as the change (:meth:`Outbox.add`), so the event exists exactly
when the change was committed, whether or not any receiver is up. An :class:`OutboxRelay`
thread then delivers the pending events to every configured sink, oldest first, and records
each delivery; a failed delivery is retried after an exponential backoff (per sink), and an
event counts as delivered once every sink has it. Events committed concurrently may reach a
sink in another order than their sequence, so receivers must not rely on the order.

Delivery is at least once: after a lost acknowledgement, a crash between delivery and
marking, or with two relays on one database, a sink may receive an event again. Receivers
therefore deduplicate by the event id. A sink that refuses an event forever blocks the
events behind it for that sink (they are retried, never dropped).

Tables (``<prefix>_events``, ``<prefix>_deliveries``) join the service's own metadata and
are created by its own migration. Times are UTC microseconds since the epoch.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    and_,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from stadskamer.common.errors import StadskamerError

_log = logging.getLogger("stadskamer.outbox")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


@dataclass(frozen=True)
class OutboxEvent:
    """One event: a unique id (the receivers' deduplication key), a type and its bytes."""

    event_id: str
    event_type: str
    payload: bytes
    created_at: datetime


Deliver = Callable[[OutboxEvent], None]


class Outbox:
    """The outbox tables on a service's metadata, and the statements on them."""

    def __init__(self, metadata: MetaData, prefix: str = "outbox") -> None:
        self.events = Table(
            f"{prefix}_events",
            metadata,
            Column("sequence", Integer, primary_key=True, autoincrement=True),
            Column("event_id", String(64), nullable=False),
            Column("event_type", String(128), nullable=False),
            Column("payload", LargeBinary, nullable=False),
            Column("created_at_us", BigInteger, nullable=False),
            # Set once every configured sink has the event; NULL while pending.
            Column("delivered_at_us", BigInteger, nullable=True),
            UniqueConstraint("event_id", name=f"uq_{prefix}_events_event_id"),
            Index(f"ix_{prefix}_events_pending", "delivered_at_us", "sequence"),
        )
        self.deliveries = Table(
            f"{prefix}_deliveries",
            metadata,
            Column(
                "sequence",
                Integer,
                ForeignKey(self.events.c.sequence, name=f"fk_{prefix}_deliveries_sequence"),
                primary_key=True,
            ),
            Column("sink", String(255), primary_key=True),
            Column("delivered_at_us", BigInteger, nullable=False),
        )

    def add(self, connection: Connection | Session, event: OutboxEvent) -> None:
        """Store ``event`` in the caller's transaction (commit it with the change)."""
        connection.execute(
            insert(self.events).values(
                event_id=event.event_id,
                event_type=event.event_type,
                payload=event.payload,
                created_at_us=_us(event.created_at),
            )
        )

    def pending(
        self, connection: Connection | Session, sink: str, limit: int
    ) -> list[tuple[int, OutboxEvent]]:
        """Up to ``limit`` undelivered events that ``sink`` does not have yet, oldest first."""
        events, deliveries = self.events.c, self.deliveries.c
        delivered_to_sink = exists().where(
            and_(deliveries.sequence == events.sequence, deliveries.sink == sink)
        )
        rows = connection.execute(
            select(self.events)
            .where(events.delivered_at_us.is_(None), ~delivered_to_sink)
            .order_by(events.sequence)
            .limit(limit)
        )
        return [
            (
                row.sequence,
                OutboxEvent(
                    row.event_id,
                    row.event_type,
                    row.payload,
                    _EPOCH + row.created_at_us * _MICROSECOND,
                ),
            )
            for row in rows
        ]

    def pending_count(self, connection: Connection | Session) -> int:
        """How many events some sink still lacks."""
        query = select(func.count()).where(self.events.c.delivered_at_us.is_(None))
        return int(connection.execute(query).scalar_one())

    def mark_delivered(
        self, engine: Engine, sequence: int, sink: str, sinks: frozenset[str], now: datetime
    ) -> None:
        """Record that ``sink`` has event ``sequence``; complete it when all ``sinks`` have it."""
        try:
            with engine.begin() as connection:
                connection.execute(
                    insert(self.deliveries).values(
                        sequence=sequence, sink=sink, delivered_at_us=_us(now)
                    )
                )
        except IntegrityError:
            pass  # another relay recorded this delivery first
        deliveries = self.deliveries.c
        with engine.begin() as connection:
            # The UPDATE comes first so that SQLite takes its write lock before reading.
            connection.execute(
                update(self.events)
                .where(
                    self.events.c.sequence == sequence,
                    self.events.c.delivered_at_us.is_(None),
                    select(func.count())
                    .where(deliveries.sequence == sequence, deliveries.sink.in_(sinks))
                    .scalar_subquery()
                    >= len(sinks),
                )
                .values(delivered_at_us=_us(now))
            )


class OutboxRelay:
    """A thread that delivers pending outbox events to sinks, at least once, oldest first."""

    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        sinks: Mapping[str, Deliver],
        *,
        batch_size: int = 100,
        poll_seconds: float = 2.0,
        initial_backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 60.0,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._sinks = dict(sinks)
        self._batch_size = batch_size
        self._poll = poll_seconds
        self._initial_backoff = initial_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the relay thread (no-op when running or without sinks)."""
        if self._thread is not None or not self._sinks:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its current delivery."""
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Deliver soon: call after committing a transaction that added events."""
        self._wakeup.set()

    def run_once(self) -> int:
        """One pass over every sink that is not backing off; the number of deliveries made."""
        delivered = 0
        for sink, deliver in self._sinks.items():
            if self._stopping.is_set():
                break
            if time.monotonic() < self._retry_at.get(sink, 0.0):
                continue
            try:
                delivered += self._deliver_batch(sink, deliver)
            except (SQLAlchemyError, StadskamerError) as error:
                self._back_off(sink, "", error)
        return delivered

    def _deliver_batch(self, sink: str, deliver: Deliver) -> int:
        with self._engine.connect() as connection:
            batch = self._outbox.pending(connection, sink, self._batch_size)
        done = 0
        for sequence, event in batch:
            if self._stopping.is_set():
                break
            try:
                deliver(event)
            except Exception as error:  # any failure of the sink: retry later
                self._back_off(sink, event.event_id, error)
                break
            self._outbox.mark_delivered(
                self._engine, sequence, sink, frozenset(self._sinks), datetime.now(UTC)
            )
            self._failures.pop(sink, None)
            self._retry_at.pop(sink, None)
            done += 1
        return done

    def _back_off(self, sink: str, event_id: str, error: BaseException) -> None:
        failures = self._failures.get(sink, 0) + 1
        self._failures[sink] = failures
        delay = min(self._max_backoff, self._initial_backoff * 2 ** (failures - 1))
        delay *= random.uniform(0.8, 1.2)
        self._retry_at[sink] = time.monotonic() + delay
        _log.warning(
            "outbox delivery to %s failed event_id=%s error=%s attempt=%d retry_in_s=%.1f",
            sink,
            event_id or "-",
            type(error).__name__,
            failures,
            delay,
        )

    def _next_wait(self, delivered: int) -> float:
        if delivered:
            return 0.0
        now = time.monotonic()
        return min([self._poll, *(at - now for at in self._retry_at.values() if at > now)])

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                delivered = self.run_once()
            except Exception as error:  # the relay must outlive any single failure
                _log.error("outbox relay pass failed error=%s", type(error).__name__)
                delivered = 0
            self._wakeup.wait(self._next_wait(delivered))
            self._wakeup.clear()
