"""The list requests of the history fan-out and the items made of their answers.

Contacts come from ``ContactsService.ListContacts`` (newest first, since the start), complaints
from ``ComplaintsService.ListComplaints`` (oldest first; since the start and, whatever their
receive time, the ones still open). Only what the view needs is kept: no description, no
identifier of the citizen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.complaints.v1 import complaints_pb2
from stadskamer.api.contacts.v1 import contacts_pb2
from stadskamer.gateway.history.domain import (
    ComplaintState,
    ComplaintStatus,
    HistoryItem,
    ItemKind,
)

PAGE_SIZE = 200
_STATUSES = {
    complaints_pb2.COMPLAINT_STATUS_RECEIVED: ComplaintStatus.RECEIVED,
    complaints_pb2.COMPLAINT_STATUS_IN_HANDLING: ComplaintStatus.IN_HANDLING,
    complaints_pb2.COMPLAINT_STATUS_DECIDED: ComplaintStatus.DECIDED,
    complaints_pb2.COMPLAINT_STATUS_CLOSED: ComplaintStatus.CLOSED,
    complaints_pb2.COMPLAINT_STATUS_WITHDRAWN: ComplaintStatus.WITHDRAWN,
}


@dataclass(frozen=True)
class Citizen:
    """The citizen as one list call names it: tagged for the own domain, or under a grant."""

    subject: bytes = b""
    encrypted_subject: bytes = b""
    link_grant: str = ""


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def contacts_request(
    domain: str, citizen: Citizen, start: datetime, limit: int
) -> contacts_pb2.ListContactsRequest:
    """The first ListContacts page of one citizen in one domain since ``start``."""
    return contacts_pb2.ListContactsRequest(
        domain=domain,
        subject=citizen.subject,
        encrypted_subject=citizen.encrypted_subject,
        link_grant=citizen.link_grant,
        start_time=_timestamp(start),
        page_size=min(limit, PAGE_SIZE),
    )


def complaints_request(
    citizen: Citizen, start: datetime, limit: int
) -> complaints_pb2.ListComplaintsRequest:
    """The first ListComplaints page of one citizen: since ``start``, plus the open ones."""
    return complaints_pb2.ListComplaintsRequest(
        subject=citizen.subject,
        encrypted_subject=citizen.encrypted_subject,
        link_grant=citizen.link_grant,
        start_time=_timestamp(start),
        include_open=True,
        page_size=min(limit, PAGE_SIZE),
    )


def contact_items(page: contacts_pb2.ListContactsResponse) -> list[HistoryItem]:
    """The items of one page of contacts."""
    return [
        HistoryItem(
            name=contact.name,
            occurred_at=contact.occurred_at.ToDatetime(tzinfo=UTC),
            domain=contact.domain,
            kind=ItemKind.CONTACT,
            channel=int(contact.channel),
            topic=contact.topic,
            org_unit=contact.org_unit,
        )
        for contact in page.contacts
    ]


def complaint_items(domain: str, page: complaints_pb2.ListComplaintsResponse) -> list[HistoryItem]:
    """The items of one page of complaints of ``domain``, each with its state."""
    return [
        HistoryItem(
            name=complaint.name,
            occurred_at=complaint.receive_time.ToDatetime(tzinfo=UTC),
            domain=domain,
            kind=ItemKind.COMPLAINT,
            channel=int(complaint.channel),
            topic="",
            org_unit=complaint.org_unit,
            complaint=ComplaintState(
                case_number=complaint.case_number,
                status=_STATUSES[complaint.status],
                callback_due=date.fromisoformat(complaint.callback_due_date),
                callback_overdue=complaint.callback_overdue,
                decision_due=date.fromisoformat(complaint.decision_due_date),
                decision_overdue=complaint.decision_overdue,
            ),
        )
        for complaint in page.complaints
        if complaint.status in _STATUSES
    ]
