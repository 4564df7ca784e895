"""The events of the complaints service as ``stadskamer.events.v1`` messages.

:class:`ProtoEventEncoder` builds the ComplaintClosed event with the complainant's klachten
pseudonym freshly encrypted under the klachten public key (never a BSN, never the bare
pseudonym). The relay delivers them with :class:`stadskamer.common.event_sinks.GrpcEventSink`.
"""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer import pep
from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.client import DomainKey
from stadskamer.common.outbox import OutboxEvent
from stadskamer.complaints.domain import Complaint

SOURCE = "complaints"
COMPLAINT_CLOSED = pb.ComplaintClosed.DESCRIPTOR.full_name


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def encrypt_pseudonym(pseudonym: bytes, key: DomainKey) -> bytes:
    """Stand-in for the client helper that issue 14 removed, until the complaints service
    moves to tagged pseudonyms: ``Enc_Y_d(P_d)`` of the domain's own pseudonym."""
    return pep.encrypt(pseudonym, key.public_key).to_bytes()


class ProtoEventEncoder:
    """Implements :class:`stadskamer.complaints.ports.EventEncoder` with protobuf."""

    def __init__(self, key: DomainKey) -> None:
        self._key = key

    def complaint_closed(
        self, complaint: Complaint, event_id: str, occurred_at: datetime
    ) -> OutboxEvent:
        """The serialized Event with a ComplaintClosed payload."""
        from stadskamer.client import encrypt_pseudonym  # type: ignore[attr-defined]  # removed: moves next

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
                encrypted_subject=encrypt_pseudonym(complaint.subject, self._key),
                subject_domain=self._key.domain,
            ),
        )
        return OutboxEvent(event_id, COMPLAINT_CLOSED, event.SerializeToString(), occurred_at)
