"""A transactional outbox: events stored in the writer's transaction, relayed at least once.

A service that must tell other services about a change writes the event into its own outbox
table in the SAME transaction as the change (:meth:`Outbox.add`), so the event exists exactly
when the change was committed, whether or not any receiver is up. A relay thread
(:class:`stadskamer.common.outbox_relay.OutboxRelay`) then delivers the pending events to
every configured sink, oldest first, and records each delivery; a failed delivery is retried
after an exponential backoff (per sink), and an event counts as delivered once every sink has
it. Events committed concurrently may reach a sink in another order than their sequence, so
receivers must not rely on the order.

Delivery is at least once: after a lost acknowledgement, a crash between delivery and
marking, or with two relays on one database, a sink may receive an event again. Receivers
therefore deduplicate by the event id (the same on every delivery: a gRPC sink sends the id
derived from the stored one, see :class:`stadskamer.common.event_sinks.EventIds`). A sink
that refuses an event forever blocks the events behind it for that sink (they are retried,
never dropped).

Tables (``<prefix>_events``, ``<prefix>_deliveries``) join the service's own metadata and
are created by its own migration. Times are UTC microseconds since the epoch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

_log = logging.getLogger("stadskamer.outbox")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


@dataclass(frozen=True)
class OutboxEvent:
    """One event: a unique id (the sender's own; it goes out in a keyed form), a type and its
    bytes."""

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
        self._insert = insert(self.events)

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

    def add_all(self, connection: Connection | Session, events: Sequence[OutboxEvent]) -> None:
        """Store several events in the caller's transaction, in one statement."""
        if not events:
            return
        connection.execute(
            self._insert,
            [
                {
                    "event_id": event.event_id,
                    "event_type": event.event_type,
                    "payload": event.payload,
                    "created_at_us": _us(event.created_at),
                }
                for event in events
            ],
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
        self,
        engine: Engine,
        sequences: Sequence[int],
        sink: str,
        sinks: frozenset[str],
        now: datetime,
    ) -> None:
        """Record that ``sink`` has events ``sequences``; complete those all ``sinks`` have.

        One transaction for the whole batch; should another relay have recorded one of them
        first, the batch is recorded again one event at a time.
        """
        if not sequences:
            return
        try:
            with engine.begin() as connection:
                self._complete(connection, sequences, sink, sinks, now)
        except IntegrityError:
            for sequence in sequences:
                try:
                    with engine.begin() as connection:
                        self._complete(connection, [sequence], sink, sinks, now)
                except IntegrityError:
                    pass  # another relay recorded this delivery first

    def _complete(
        self,
        connection: Connection,
        sequences: Sequence[int],
        sink: str,
        sinks: frozenset[str],
        now: datetime,
    ) -> None:
        deliveries = self.deliveries.c
        stamp = _us(now)
        connection.execute(
            insert(self.deliveries),
            [{"sequence": s, "sink": sink, "delivered_at_us": stamp} for s in sequences],
        )
        connection.execute(
            update(self.events)
            .where(
                self.events.c.sequence.in_(sequences),
                self.events.c.delivered_at_us.is_(None),
                select(func.count())
                .where(deliveries.sequence == self.events.c.sequence, deliveries.sink.in_(sinks))
                .scalar_subquery()
                >= len(sinks),
            )
            .values(delivered_at_us=stamp)
        )
