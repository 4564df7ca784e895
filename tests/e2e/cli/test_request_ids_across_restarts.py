"""Idempotency across a restart of the embedded stack on the same data folder.

Request ids are kept only as keyed digests derived from the domain keys in the data folder,
so a retry after a restart still finds the first result, and a consent request id reused for
a different consent is still refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2, complaints_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from stadskamer.api.surveys.v1 import surveys_pb2, surveys_pb2_grpc
from tests.e2e.complaints.support import reason
from tests.support.citizens import Citizens
from tests.support.stack import Stack, running_stack

BSN = "123456782"


def _auth(stack: Stack, domains: list[str]) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {stack.token('agent-1', domains, ['agent'])}")]


def _requests(stack: Stack) -> dict[str, str]:
    """Register a contact, file a complaint, give a consent and ask an invitation, all with
    request id ``r-1`` and the citizen freshly issued into each domain; the resource name (or
    replay flag) of each answer."""
    citizens = Citizens(stack.channel, stack.issuer)
    occurred = Timestamp()
    occurred.FromDatetime(datetime.now(UTC) - timedelta(hours=1))
    channel = stack.channel
    contact = contacts_pb2_grpc.ContactsServiceStub(channel).RegisterContact(
        contacts_pb2.RegisterContactRequest(
            request_id="r-1",
            domain="kcc",
            subject=citizens.subject(BSN, "kcc"),
            channel=channel_pb2.CHANNEL_PHONE,
            topic="afval",
            org_unit="kcc-telefonie",
            occurred_at=occurred,
        ),
        metadata=_auth(stack, ["kcc"]),
    )
    complaint = complaints_pb2_grpc.ComplaintsServiceStub(channel).FileComplaint(
        complaints_pb2.FileComplaintRequest(
            request_id="r-1",
            subject=citizens.subject(BSN, "klachten"),
            channel=channel_pb2.CHANNEL_WEB_FORM,
            org_unit="burgerzaken",
            description="De balie was dicht.",
        ),
        metadata=_auth(stack, ["klachten"]),
    )
    consent = consent_pb2_grpc.ConsentServiceStub(channel).GrantConsent(
        _consent(citizens.subject(BSN, "kcc"), "integrated-contact-history"),
        metadata=_auth(stack, ["kcc"]),
    )
    invitation = surveys_pb2_grpc.SurveysServiceStub(channel).CreateInvitation(
        surveys_pb2.CreateInvitationRequest(
            request_id="r-1",
            subject=citizens.subject(BSN, "onderzoek"),
            trigger=surveys_pb2.TRIGGER_KIND_CONTACT,
            channel=channel_pb2.CHANNEL_PHONE,
            topic="energietoeslag",
            org_unit="kcc-team-noord",
        ),
        metadata=_auth(stack, ["onderzoek"]),
    )
    return {
        "contact": contact.contact.name,
        "contact request id": contact.contact.request_id,
        "complaint": complaint.complaint.name,
        "consent": consent.name,
        "invitation replayed": str(invitation.replayed),
    }


def _consent(subject: bytes, purpose: str) -> consent_pb2.GrantConsentRequest:
    return consent_pb2.GrantConsentRequest(
        request_id="r-1",
        subject=subject,
        purpose=purpose,
        purpose_version=1,
        capture=consent_pb2.Capture(
            channel=channel_pb2.CHANNEL_PHONE, method=consent_pb2.CAPTURE_METHOD_AGENT
        ),
    )


def test_a_retry_after_a_restart_gets_the_first_answer(tmp_path: Path) -> None:
    data = tmp_path / "var"
    with running_stack(data) as stack:
        first = _requests(stack)
    with running_stack(data) as stack:
        retried = _requests(stack)
        subject = Citizens(stack.channel, stack.issuer).subject(BSN, "kcc")
        with pytest.raises(grpc.RpcError) as reused:
            consent_pb2_grpc.ConsentServiceStub(stack.channel).GrantConsent(
                _consent(subject, "research-panel"), metadata=_auth(stack, ["kcc"])
            )
    assert first["invitation replayed"] == "False"
    assert retried == {**first, "invitation replayed": "True"}
    assert retried["contact request id"] == "r-1"
    assert reused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(reused.value) == "REQUEST_ID_REUSED"
