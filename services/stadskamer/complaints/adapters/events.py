"""The events of the complaints service as ``stadskamer.events.v1`` messages.

:class:`ProtoEventEncoder` builds the ComplaintClosed event for the outbox without the
complainant. :class:`ClosedComplaintSubjects` completes it at each delivery: it reads the
complaint's stored reference and has the pseudonym service refresh it (a new rerandomization
and tag of klachten), so the receiver gets bytes the complaints database never holds, which
convert into its own domain only under a link grant. A complaint whose reference is gone or
expired is not sent (it can no longer name the complainant). The relay delivers them with
:class:`stadskamer.common.event_sinks.GrpcEventSink`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.common.citizens import fresh_reference
from stadskamer.common.db import UnitOfWork
from stadskamer.common.outbox import OutboxEvent
from stadskamer.complaints.adapters.repository import ComplaintRepository
from stadskamer.complaints.domain import DOMAIN, NAME_PREFIX, Complaint
from stadskamer.complaints.ports import Pseudonyms

SOURCE = "complaints"
COMPLAINT_CLOSED = pb.ComplaintClosed.DESCRIPTOR.full_name
_log = logging.getLogger("stadskamer.complaints")


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


class ProtoEventEncoder:
    """Implements :class:`stadskamer.complaints.ports.EventEncoder` with protobuf."""

    def complaint_closed(
        self, complaint: Complaint, event_id: str, occurred_at: datetime
    ) -> OutboxEvent:
        """The serialized Event with a ComplaintClosed payload, without its subject."""
        closed_at = complaint.closed_at or occurred_at
        event = pb.Event(
            event_id=event_id,
            type=COMPLAINT_CLOSED,
            occurred_at=_timestamp(occurred_at),
            source=SOURCE,
            complaint_closed=pb.ComplaintClosed(
                complaint=complaint.name,
                case_number=complaint.case_number,
                channel=int(complaint.channel),  # type: ignore[arg-type]
                org_unit=complaint.org_unit,
                handled_by_org_unit=complaint.handled_by_org_unit,
                outcome=int(complaint.outcome) if complaint.outcome else 0,  # type: ignore[arg-type]
                about_official=complaint.about_official,
                close_time=_timestamp(closed_at),
                subject_domain=DOMAIN,
            ),
        )
        return OutboxEvent(event_id, COMPLAINT_CLOSED, event.SerializeToString(), occurred_at)


class ClosedComplaintSubjects:
    """The relay's ``prepare``: a fresh reference of the complainant in each delivery."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        pseudonyms: Pseudonyms,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._unit_of_work = unit_of_work
        self._pseudonyms = pseudonyms
        self._clock = clock

    def __call__(self, event: pb.Event) -> pb.Event | None:
        """The event with its subject; None when the complainant can no longer be named."""
        if event.WhichOneof("payload") != "complaint_closed":
            return event
        closed = event.complaint_closed
        with self._unit_of_work() as uow:
            reference = ComplaintRepository(uow.session).subject_reference(
                closed.complaint.removeprefix(NAME_PREFIX)
            )
        fresh = fresh_reference(self._pseudonyms, reference, DOMAIN, self._clock())
        if fresh is None:
            _log.warning("closed complaint without a valid reference: no subject to send")
            return None
        closed.encrypted_subject = fresh
        closed.subject_domain = DOMAIN
        return event
