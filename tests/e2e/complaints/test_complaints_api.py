"""The complaints service through the embedded stack: real server, real pseudonym service."""

from __future__ import annotations

import logging

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import create_engine, select

from stadskamer.api.complaints.v1 import complaints_pb2 as pb
from stadskamer.api.events.v1 import events_pb2
from stadskamer.client import PseudonymClient
from stadskamer.complaints.adapters.orm import outbox
from tests.e2e.complaints.support import DESCRIPTION, reason, stack_caller, violations
from tests.support.databases import dump_database_text, files_containing
from tests.support.stack import Stack

BSNS = ["111222333", "123456782", "012345672"]


def _stored_events(stack: Stack) -> list[bytes]:
    engine = create_engine(f"sqlite:///{stack.data_dir / 'complaints.db'}")
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(outbox.events.c.payload)).scalars())
    finally:
        engine.dispose()


def test_a_complaint_from_filing_to_closing(stack: Stack) -> None:
    eform = stack_caller(stack, ["klachten"], ["system"], "eform")
    coordinator = stack_caller(stack, ["klachten"], ["coordinator"], "coordinator-7")
    filed = eform.file(BSNS[0], "eform-1")
    complaint = filed.complaint
    assert complaint.case_number.startswith("KL-")
    assert complaint.status == pb.COMPLAINT_STATUS_RECEIVED
    assert complaint.coordinator == "decentraal-publiekszaken"
    assert complaint.suggested_handling_form == pb.HANDLING_FORM_THREE_WAY_CONVERSATION
    assert complaint.description == DESCRIPTION
    assert f"Uw zaaknummer is {complaint.case_number}." in filed.receipt_text
    assert "Wij bellen u uiterlijk op" in filed.receipt_text
    assert "Petra" not in filed.receipt_text
    assert eform.file(BSNS[0], "eform-1").complaint.name == complaint.name

    by_number = coordinator.call(
        "GetComplaint", pb.GetComplaintRequest(case_number=complaint.case_number)
    )
    assert by_number.name == complaint.name
    name = complaint.name
    called = coordinator.call(
        "RecordCallback",
        pb.RecordCallbackRequest(name=name, handling_form=pb.HANDLING_FORM_THREE_WAY_CONVERSATION),
    )
    assert called.status == pb.COMPLAINT_STATUS_IN_HANDLING
    assert called.callback_within_norm
    extended = coordinator.call(
        "ExtendDecisionDeadline",
        pb.ExtendDecisionDeadlineRequest(name=name, reason="Gesprek met de medewerker gepland"),
    )
    assert extended.decision_deadline_extended
    decided = coordinator.call(
        "DecideComplaint",
        pb.DecideComplaintRequest(
            name=name, outcome=pb.OUTCOME_UNFOUNDED, handled_by_org_unit="burgerzaken"
        ),
    )
    assert decided.outcome == pb.OUTCOME_UNFOUNDED
    closed = coordinator.call("CloseComplaint", pb.CloseComplaintRequest(name=name))
    assert closed.status == pb.COMPLAINT_STATUS_CLOSED
    assert closed.HasField("close_time")
    [stored] = _stored_events(stack)  # the ComplaintClosed event, without the complainant
    assert not events_pb2.Event.FromString(stored).complaint_closed.encrypted_subject

    page = coordinator.stub.ListComplaints(
        pb.ListComplaintsRequest(status=pb.COMPLAINT_STATUS_CLOSED), metadata=coordinator.metadata
    )
    assert [c.name for c in page.complaints] == [name]
    assert page.complaints[0].description == ""
    analyst = stack_caller(stack, ["klachten"], ["analyst"])
    stats = analyst.stub.GetComplaintStats(
        pb.GetComplaintStatsRequest(start_time=complaint.receive_time, end_time=closed.close_time),
        metadata=analyst.metadata,
    )
    assert stats.total == 1
    assert [(u.org_unit, u.count) for u in stats.org_units] == [("burgerzaken", 1)]
    assert stats.callbacks_within_norm == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": bytes(96)}, "subject"),
        ({"subject": b"\x01" * 95}, "subject"),
        ({"subject": "kcc"}, "subject"),
        ({"description": ""}, "description"),
        ({"org_unit": ""}, "org_unit"),
        ({"channel": 0}, "channel"),
        ({"request_id": ""}, "request_id"),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field_and_nothing_is_written(
    stack: Stack, fields: dict[str, object], field: str
) -> None:
    agent = stack_caller(stack, ["klachten"], ["agent", "coordinator"])
    values = dict(fields)
    if values.get("subject") == "kcc":
        kcc = PseudonymClient(stack.channel, stack.token("kcc-front-end", ["kcc"], ["issuer"]))
        values["subject"] = kcc.issue_one(BSNS[1], "kcc", "contact-registration")
    request_id = str(values.pop("request_id", "bad-1"))
    with pytest.raises(grpc.RpcError) as raised:
        agent.file(BSNS[1], request_id, **values)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(raised.value) == [field]
    page = agent.stub.ListComplaints(pb.ListComplaintsRequest(), metadata=agent.metadata)
    assert list(page.complaints) == []


def test_callers_need_the_klachten_domain_and_the_right_role(stack: Stack) -> None:
    outsider = stack_caller(stack, ["kcc"], ["agent"])
    with pytest.raises(grpc.RpcError) as raised:
        outsider.file(BSNS[0], "x-1")
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    agent = stack_caller(stack, ["klachten"], ["agent"])
    name = agent.file(BSNS[0], "x-2").complaint.name
    for method, request in (
        ("GetComplaint", pb.GetComplaintRequest(name=name)),
        ("CloseComplaint", pb.CloseComplaintRequest(name=name)),
    ):
        with pytest.raises(grpc.RpcError) as denied:
            agent.call(method, request)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_an_invalid_transition_is_failed_precondition(stack: Stack) -> None:
    coordinator = stack_caller(stack, ["klachten"], ["coordinator", "agent"])
    name = coordinator.file(BSNS[2], "t-1").complaint.name
    with pytest.raises(grpc.RpcError) as raised:
        coordinator.call("CloseComplaint", pb.CloseComplaintRequest(name=name))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(raised.value) == "INVALID_STATUS_TRANSITION"
    with pytest.raises(grpc.RpcError) as missing:
        coordinator.call("GetComplaint", pb.GetComplaintRequest(name="complaints/nope-0"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_bsns_and_descriptions_never_reach_files_logs_or_spans(
    stack: Stack, caplog: pytest.LogCaptureFixture, spans: InMemorySpanExporter
) -> None:
    caplog.set_level(logging.DEBUG)
    coordinator = stack_caller(stack, ["klachten"], ["coordinator", "agent"])
    reason_text = "Overleg met mevrouw Jansen over haar klacht"
    for index, bsn in enumerate(BSNS):
        name = coordinator.file(bsn, f"leak-{index}").complaint.name
        coordinator.call(
            "ReassignComplaint",
            pb.ReassignComplaintRequest(name=name, coordinator="centraal", reason=reason_text),
        )
        coordinator.call("GetComplaint", pb.GetComplaintRequest(name=name))
    with pytest.raises(grpc.RpcError):
        coordinator.file(BSNS[0], "leak-bad", description="x" * 5001)
    literals = [*BSNS, DESCRIPTION, "Petra Jansen", "onbeleefd", "mevrouw Jansen"]
    assert files_containing(stack.data_dir, literals) == []
    database = dump_database_text(f"sqlite:///{stack.data_dir / 'complaints.db'}")
    assert [literal for literal in literals if literal in database] == []
    assert [literal for literal in literals if literal in caplog.text] == []
    finished = spans.get_finished_spans()
    assert any(s.name.endswith("ComplaintsService/FileComplaint") for s in finished)
    exported = "".join(s.to_json() for s in finished)
    assert [literal for literal in literals if literal in exported] == []
