"""The HistoryService servicer: proto ⇄ domain, and the caller's identity bound to the peers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import grpc

from stadskamer.api.complaints.v1 import complaints_pb2
from stadskamer.api.consent.v1 import consent_pb2
from stadskamer.api.history.v1 import history_pb2 as pb
from stadskamer.api.history.v1 import history_pb2_grpc as pb_grpc
from stadskamer.common.auth import current_bearer_token, current_principal
from stadskamer.common.errors import FieldViolation
from stadskamer.common.interceptors import Validator
from stadskamer.gateway.history.domain import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_WINDOW,
    MAX_ITEMS,
    Basis,
    BasisKind,
    ComplaintState,
    ComplaintStatus,
    HistoryQuery,
    ItemKind,
)
from stadskamer.gateway.history.ports import Peers
from stadskamer.gateway.history.service import HistoryService
from stadskamer.pep import tags

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["HistoryService"].full_name
_KINDS = {ItemKind.CONTACT: pb.ITEM_KIND_CONTACT, ItemKind.COMPLAINT: pb.ITEM_KIND_COMPLAINT}
_STATUSES = {
    ComplaintStatus.RECEIVED: complaints_pb2.COMPLAINT_STATUS_RECEIVED,
    ComplaintStatus.IN_HANDLING: complaints_pb2.COMPLAINT_STATUS_IN_HANDLING,
    ComplaintStatus.DECIDED: complaints_pb2.COMPLAINT_STATUS_DECIDED,
    ComplaintStatus.CLOSED: complaints_pb2.COMPLAINT_STATUS_CLOSED,
    ComplaintStatus.WITHDRAWN: complaints_pb2.COMPLAINT_STATUS_WITHDRAWN,
}
_BASIS_KINDS = {
    BasisKind.OWN_DOMAIN: consent_pb2.BASIS_KIND_OWN_DOMAIN,
    BasisKind.CONSENT: consent_pb2.BASIS_KIND_CONSENT,
    BasisKind.LEGAL_BASIS: consent_pb2.BASIS_KIND_LEGAL_BASIS,
}


def _violations(request: pb.GetHistoryRequest) -> Iterable[FieldViolation]:
    found = []
    try:
        tags.parse(request.subject)
    except tags.InvalidTagError:
        found.append(FieldViolation("subject", "a tagged pseudonym from the pseudonym service"))
    if not request.requester_domain:
        found.append(FieldViolation("requester_domain", "required"))
    if not request.purpose:
        found.append(FieldViolation("purpose", "required"))
    if not 0 <= request.max_items <= MAX_ITEMS:
        found.append(FieldViolation("max_items", f"between 1 and {MAX_ITEMS}"))
    return found


VALIDATORS: dict[str, Validator] = {f"/{SERVICE_NAME}/GetHistory": _violations}


def _complaint(state: ComplaintState) -> pb.ComplaintState:
    return pb.ComplaintState(
        case_number=state.case_number,
        status=_STATUSES[state.status],
        callback_due_date=state.callback_due.isoformat(),
        callback_overdue=state.callback_overdue,
        decision_due_date=state.decision_due.isoformat(),
        decision_overdue=state.decision_overdue,
    )


def _basis(basis: Basis) -> consent_pb2.Basis:
    return consent_pb2.Basis(
        kind=_BASIS_KINDS[basis.kind],
        consent=basis.consent,
        policy_rule=basis.policy_rule,
        legal_basis=basis.legal_basis,
    )


class HistoryServicer(pb_grpc.HistoryServiceServicer):
    """Maps GetHistory onto :class:`HistoryService`."""

    def __init__(
        self,
        service: HistoryService,
        peers_for: Callable[[str], Peers],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._service = service
        self._peers_for = peers_for
        self._clock = clock

    def GetHistory(
        self, request: pb.GetHistoryRequest, context: grpc.ServicerContext
    ) -> pb.GetHistoryResponse:
        """The permitted history of one citizen."""
        start = (
            request.start_time.ToDatetime(tzinfo=UTC)
            if request.HasField("start_time")
            else self._clock() - DEFAULT_WINDOW
        )
        query = HistoryQuery(
            subject=request.subject,
            requester_domain=request.requester_domain,
            purpose=request.purpose,
            start=start,
            max_items=request.max_items or DEFAULT_MAX_ITEMS,
        )
        peers = self._peers_for(current_bearer_token())
        history = self._service.get_history(current_principal(), query, peers)
        response = pb.GetHistoryResponse(truncated=history.truncated)
        for item in history.items:
            entry = response.items.add(
                name=item.name,
                domain=item.domain,
                kind=_KINDS[item.kind],
                channel=item.channel,  # type: ignore[arg-type]
                topic=item.topic,
                org_unit=item.org_unit,
                basis=_basis(item.basis),
            )
            entry.occur_time.FromDatetime(item.occurred_at)
            if item.complaint is not None:
                entry.complaint.CopyFrom(_complaint(item.complaint))
        for domain, basis in history.consulted:
            response.consulted_domains.add(domain=domain, basis=_basis(basis))
        return response
