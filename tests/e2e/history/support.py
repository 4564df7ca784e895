"""Handles on the embedded stack for one citizen: register, file, consent, ask the history.

Every call that names the citizen gets a freshly issued tagged pseudonym of the domain that
receives it, as the REST edge has one issued after the citizen identified themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stadskamer.api.audit.v1 import audit_pb2, audit_pb2_grpc
from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2, complaints_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from stadskamer.api.history.v1 import history_pb2, history_pb2_grpc
from tests.support.audit import officer_subjects, officer_token, records_settled
from tests.support.citizens import Citizens
from tests.support.stack import Stack

BSN = "111222333"
PURPOSE = "integrated-contact-history"
DOMAINS = ["kcc", "burgerzaken", "sociale-zaken", "belastingen"]
TOPICS = ["parkeervergunning", "paspoort", "uitkering", "belastingaanslag"]


@dataclass
class Citizen:
    """Handles on the stack for one citizen."""

    stack: Stack
    bsn: str

    def subject(self, domain: str) -> bytes:
        """A fresh tagged pseudonym of the citizen for ``domain``."""
        return Citizens(self.stack.channel, self.stack.issuer).subject(self.bsn, domain)

    def metadata(self, token: str) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {token}")]

    def processing(self) -> list[audit_pb2.ProcessingRecord]:
        """Every record about the citizen, as the privacy officer's subject access finds them."""
        records_settled(self.stack.data_dir)  # contacts relays its records a moment later
        request = audit_pb2.ListProcessingRequest(
            filter=audit_pb2.ProcessingFilter(
                subjects_tagged=officer_subjects(self.stack, self.bsn)
            ),
            page_size=1000,
            query_purpose=audit_pb2.QUERY_PURPOSE_SUBJECT_ACCESS,
        )
        stub = audit_pb2_grpc.ProcessingLogServiceStub(self.stack.channel)
        answer = stub.ListProcessing(request, metadata=self.metadata(officer_token(self.stack)))
        return [logged.record for logged in answer.records]

    def register(self, domain: str, topic: str) -> None:
        token = self.stack.token(f"{domain}-desk", [domain], ["agent"])
        request = contacts_pb2.RegisterContactRequest(
            request_id=f"{domain}-{topic}",
            domain=domain,
            subject=self.subject(domain),
            channel=channel_pb2.CHANNEL_COUNTER,
            topic=topic,
            org_unit="publiekszaken",
        )
        request.occurred_at.GetCurrentTime()
        contacts_pb2_grpc.ContactsServiceStub(self.stack.channel).RegisterContact(
            request, metadata=self.metadata(token)
        )

    def history(
        self, requester: str, purpose: str = PURPOSE, role: str = "agent"
    ) -> history_pb2.GetHistoryResponse:
        token = self.stack.token(f"{requester}-{role}", [requester], [role])
        request = history_pb2.GetHistoryRequest(
            subject=self.subject(requester), requester_domain=requester, purpose=purpose
        )
        return history_pb2_grpc.HistoryServiceStub(self.stack.channel).GetHistory(
            request, metadata=self.metadata(token)
        )

    def file_complaint(self, request_id: str, days_ago: int = 0) -> complaints_pb2.Complaint:
        """A complaint filed at the KCC (agent acting for klachten), received days ago."""
        token = self.stack.token("kcc-desk", ["kcc", "klachten"], ["agent"])
        request = complaints_pb2.FileComplaintRequest(
            request_id=request_id,
            subject=self.subject("klachten"),
            channel=channel_pb2.CHANNEL_PHONE,
            org_unit="burgerzaken",
            description="De medewerker aan de balie was onbeleefd tegen mij.",
        )
        request.receive_time.FromDatetime(datetime.now(UTC) - timedelta(days=days_ago))
        filed = complaints_pb2_grpc.ComplaintsServiceStub(self.stack.channel).FileComplaint(
            request, metadata=self.metadata(token)
        )
        return filed.complaint

    def grant(self, purpose: str = PURPOSE) -> str:
        token = self.stack.token("kcc-agent", ["kcc"], ["agent"])
        consent = consent_pb2_grpc.ConsentServiceStub(self.stack.channel)
        version = next(
            p.version
            for p in consent.ListPurposes(consent_pb2.ListPurposesRequest()).purposes
            if p.id == purpose
        )
        granted = consent.GrantConsent(
            consent_pb2.GrantConsentRequest(
                request_id=f"grant-{purpose}",
                subject=self.subject("kcc"),
                purpose=purpose,
                purpose_version=version,
                capture=consent_pb2.Capture(
                    channel=channel_pb2.CHANNEL_PHONE, method=consent_pb2.CAPTURE_METHOD_AGENT
                ),
            ),
            metadata=self.metadata(token),
        )
        return str(granted.name)

    def withdraw(self, name: str) -> None:
        token = self.stack.token("kcc-agent", ["kcc"], ["agent"])
        consent_pb2_grpc.ConsentServiceStub(self.stack.channel).WithdrawConsent(
            consent_pb2.WithdrawConsentRequest(
                name=name, reason=consent_pb2.WITHDRAWAL_REASON_CITIZEN_REQUEST
            ),
            metadata=self.metadata(token),
        )
