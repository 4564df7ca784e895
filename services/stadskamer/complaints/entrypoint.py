"""The gRPC servicer of the complaints service: converts proto ⇄ domain, holds no rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import grpc

from stadskamer.api.complaints.v1 import complaints_pb2 as pb
from stadskamer.api.complaints.v1 import complaints_pb2_grpc as pb_grpc
from stadskamer.common.auth import current_principal
from stadskamer.common.interceptors import Validator
from stadskamer.complaints import messages
from stadskamer.complaints.domain import Complaint
from stadskamer.complaints.lifecycle import LifecycleService
from stadskamer.complaints.queries import ComplaintQueries
from stadskamer.complaints.receipt import receipt_text
from stadskamer.complaints.service import FilingService

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ComplaintsService"].full_name

VALIDATORS: dict[str, Validator] = {
    f"/{SERVICE_NAME}/FileComplaint": messages.file_violations,
    f"/{SERVICE_NAME}/GetComplaint": messages.get_violations,
    f"/{SERVICE_NAME}/ListComplaints": messages.list_violations,
    f"/{SERVICE_NAME}/ReassignComplaint": messages.reassign_violations,
    f"/{SERVICE_NAME}/RecordCallback": messages.callback_violations,
    f"/{SERVICE_NAME}/ChooseHandlingForm": messages.form_violations,
    f"/{SERVICE_NAME}/ExtendDecisionDeadline": messages.extend_violations,
    f"/{SERVICE_NAME}/DecideComplaint": messages.decide_violations,
    f"/{SERVICE_NAME}/CloseComplaint": messages.name_violations,
    f"/{SERVICE_NAME}/WithdrawComplaint": messages.name_violations,
    f"/{SERVICE_NAME}/GetComplaintStats": messages.stats_violations,
}


class ComplaintsServicer(pb_grpc.ComplaintsServiceServicer):
    """Maps the ComplaintsService RPCs onto the use cases."""

    def __init__(
        self,
        filing: FilingService,
        lifecycle: LifecycleService,
        queries: ComplaintQueries,
        today: Callable[[], date],
    ) -> None:
        self._filing = filing
        self._lifecycle = lifecycle
        self._queries = queries
        self._today = today

    def _message(self, complaint: Complaint) -> pb.Complaint:
        return messages.complaint_message(complaint, self._today())

    def FileComplaint(
        self, request: pb.FileComplaintRequest, context: grpc.ServicerContext
    ) -> pb.FileComplaintResponse:
        """File one complaint."""
        filed = self._filing.file(current_principal(), messages.draft(request))
        return pb.FileComplaintResponse(
            complaint=self._message(filed.complaint), receipt_text=receipt_text(filed.complaint)
        )

    def GetComplaint(
        self, request: pb.GetComplaintRequest, context: grpc.ServicerContext
    ) -> pb.Complaint:
        """One complaint."""
        complaint = self._queries.get(current_principal(), request.name, request.case_number)
        return self._message(complaint)

    def ListComplaints(
        self, request: pb.ListComplaintsRequest, context: grpc.ServicerContext
    ) -> pb.ListComplaintsResponse:
        """A page of complaints."""
        page = self._queries.list(current_principal(), messages.list_query(request))
        return pb.ListComplaintsResponse(
            complaints=[self._message(c) for c in page.complaints],
            next_page_token=page.next_page_token,
        )

    def ReassignComplaint(
        self, request: pb.ReassignComplaintRequest, context: grpc.ServicerContext
    ) -> pb.Complaint:
        """Move a complaint to another coordinator."""
        return self._message(
            self._lifecycle.reassign(
                current_principal(), request.name, request.coordinator, request.reason
            )
        )

    def RecordCallback(
        self, request: pb.RecordCallbackRequest, context: grpc.ServicerContext
    ) -> pb.Complaint:
        """Record the call-back and the chosen handling form."""
        return self._message(
            self._lifecycle.record_callback(
                current_principal(),
                request.name,
                messages.optional_time(request, "callback_time"),
                int(request.handling_form),
                request.advisory_committee,
            )
        )

    def ChooseHandlingForm(
        self, request: pb.ChooseHandlingFormRequest, context: grpc.ServicerContext
    ) -> pb.Complaint:
        """Change the handling form."""
        return self._message(
            self._lifecycle.choose_handling_form(
                current_principal(),
                request.name,
                int(request.handling_form),
                request.advisory_committee,
            )
        )

    def ExtendDecisionDeadline(
        self, request: pb.ExtendDecisionDeadlineRequest, context: grpc.ServicerContext
    ) -> pb.Complaint:
        """Extend the decision deadline once."""
        return self._message(
            self._lifecycle.extend_decision_deadline(
                current_principal(), request.name, request.reason
            )
        )

    def DecideComplaint(
        self, request: pb.DecideComplaintRequest, context: grpc.ServicerContext
    ) -> pb.Complaint:
        """Record the decision."""
        return self._message(
            self._lifecycle.decide(
                current_principal(),
                request.name,
                int(request.outcome),
                request.handled_by_org_unit,
                int(request.not_handled_reason),
            )
        )

    def CloseComplaint(
        self, request: pb.CloseComplaintRequest, context: grpc.ServicerContext
    ) -> pb.Complaint:
        """Close a decided complaint."""
        return self._message(self._lifecycle.close(current_principal(), request.name))

    def WithdrawComplaint(
        self, request: pb.WithdrawComplaintRequest, context: grpc.ServicerContext
    ) -> pb.Complaint:
        """Record the withdrawal."""
        return self._message(self._lifecycle.withdraw(current_principal(), request.name))

    def GetComplaintStats(
        self, request: pb.GetComplaintStatsRequest, context: grpc.ServicerContext
    ) -> pb.GetComplaintStatsResponse:
        """Figures of a period."""
        stats = self._queries.stats(
            current_principal(),
            messages.to_datetime(request.start_time),
            messages.to_datetime(request.end_time),
        )
        return messages.stats_message(stats)
