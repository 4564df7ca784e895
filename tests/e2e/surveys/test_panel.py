"""The research panel through the real stack: consent to join, draws, withdrawal erases."""

from __future__ import annotations

import grpc
import pytest

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.consent.v1 import consent_pb2 as cpb
from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from tests.e2e.complaints.support import reason
from tests.e2e.surveys.support import Callers, Metadata, database_files, outbox
from tests.support.databases import files_containing
from tests.support.stack import Stack

DRAWN_BSN, QUIET_BSN = "111222333", "123456782"
DRAWN_ADDRESS, QUIET_ADDRESS = "anna.bakker@example.nl", "+31687654321"


def give_panel_consent(callers: Callers, bsn: str) -> str:
    """An agent records the citizen's research-panel consent by phone; its name."""
    consent = callers.consent.GrantConsent(
        cpb.GrantConsentRequest(
            request_id=f"panel-{bsn}",
            subject=callers.subject(bsn, "kcc"),
            purpose="research-panel",
            purpose_version=1,
            capture=cpb.Capture(channel=channel_pb2.CHANNEL_PHONE, method=cpb.CAPTURE_METHOD_AGENT),
        ),
        metadata=callers.auth("agent-12", ["kcc"], ["agent"]),
    )
    return str(consent.name)


def join(
    callers: Callers,
    front_end: Metadata,
    bsn: str,
    address: pb.ContactAddress,
    skills: pb.DigitalSkills.ValueType = pb.DIGITAL_SKILLS_LOW,
) -> pb.PanelMember:
    """Join the panel as a person aged 75 or more."""
    request = pb.JoinPanelRequest(
        subject=callers.subject(bsn),
        strata=pb.Strata(
            age_band=pb.AGE_BAND_75_AND_OVER,
            district="overvecht",
            preferred_channel=channel_pb2.CHANNEL_PHONE,
            digital_skills=skills,
        ),
        contact_address=address,
    )
    member: pb.PanelMember = callers.surveys.JoinPanel(request, metadata=front_end)
    return member


def withdraw(callers: Callers, consent: str) -> None:
    """The citizen withdraws the consent (recorded by an agent)."""
    callers.consent.WithdrawConsent(
        cpb.WithdrawConsentRequest(name=consent, reason=cpb.WITHDRAWAL_REASON_CITIZEN_REQUEST),
        metadata=callers.auth("agent-12", ["kcc"], ["agent"]),
    )


def test_withdrawing_the_consent_removes_the_member_and_erases_the_address(stack: Stack) -> None:
    callers = Callers(stack)
    front_end = callers.auth("mijn-gemeente", ["onderzoek"], ["system"])
    analyst = callers.auth("onderzoeker", ["onderzoek"], ["analyst"])
    email = pb.ContactAddress(kind=pb.ADDRESS_KIND_EMAIL, value=DRAWN_ADDRESS)
    with pytest.raises(grpc.RpcError) as refused:
        join(callers, front_end, DRAWN_BSN, email)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(refused.value) == "NO_PANEL_CONSENT"

    drawn_consent = give_panel_consent(callers, DRAWN_BSN)
    quiet_consent = give_panel_consent(callers, QUIET_BSN)
    member = join(callers, front_end, DRAWN_BSN, email)
    sms = pb.ContactAddress(kind=pb.ADDRESS_KIND_SMS, value=QUIET_ADDRESS)
    join(callers, front_end, QUIET_BSN, sms, pb.DIGITAL_SKILLS_HIGH)
    target = pb.StratumTarget(digital_skills=pb.DIGITAL_SKILLS_LOW, share=1.0)
    sample = callers.surveys.DrawPanelSample(
        pb.DrawPanelSampleRequest(
            request_id="d-1", study="digitale-zaken", size=1, targets=[target]
        ),
        metadata=analyst,
    )
    assert [m.name for m in sample.members] == [member.name]
    [result] = sample.strata
    assert (result.target_count, result.drawn, result.available) == (1, 1, 1)
    [approach] = outbox(stack)
    assert approach["to"] == DRAWN_ADDRESS and "digitale-zaken" in approach["body"]

    withdraw(callers, drawn_consent)
    withdraw(callers, quiet_consent)
    sweep = callers.surveys.SweepPanel(pb.SweepPanelRequest(), metadata=front_end)
    assert (sweep.checked, sweep.left) == (2, 2)
    assert files_containing(stack.data_dir, [QUIET_ADDRESS]) == []
    files = database_files(stack.data_dir, "surveys")
    assert files and [f for f in files if DRAWN_ADDRESS.encode() in f.read_bytes()] == []
    again = callers.surveys.DrawPanelSample(
        pb.DrawPanelSampleRequest(request_id="d-2", study="digitale-zaken", size=2),
        metadata=analyst,
    )
    assert list(again.members) == []
