"""Contract tests: every operation of ``openapi.json`` answered as described, on real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stadskamer.api.surveys.v1 import surveys_pb2 as spb
from stadskamer.api.surveys.v1 import surveys_pb2_grpc
from tests.e2e.gateway.contract import Contract
from tests.e2e.gateway.support import Rest
from tests.e2e.surveys.support import eventually, outbox, token_of

BSN = "111222333"
PURPOSE = "integrated-contact-history"


def _now(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def _contacts_and_consents(contract: Contract, auth: dict[str, str]) -> str:
    contract.call("getOpenApiDocument")
    purposes = contract.call("listPurposes")["purposes"]
    version = next(p["version"] for p in purposes if p["id"] == PURPOSE and p["current"])
    new_contact = {
        "requestId": "contract-1",
        "domain": "kcc",
        "bsn": BSN,
        "channel": "phone",
        "topic": "parkeervergunning",
        "orgUnit": "kcc-team",
        "occurredAt": _now(),
        "summary": "vraag over de vergunning",
    }
    registered = contract.call("registerContact", headers=auth, json=new_contact)
    contact_id = registered["contact"]["id"]
    listed = contract.call("listContacts", headers=auth, params={"domain": "kcc", "pageSize": 5})
    assert [c["id"] for c in listed["contacts"]] == [contact_id]
    contract.call("getContact", {"contactId": contact_id}, headers=auth)
    signals = contract.call("getTopicSignals", headers=auth, params={"domain": "kcc"})
    assert signals["topics"][0]["topic"] == "parkeervergunning"
    grant = {
        "requestId": "contract-consent",
        "bsn": BSN,
        "purpose": PURPOSE,
        "purposeVersion": version,
        "capture": {"channel": "phone", "method": "agent"},
    }
    consent = contract.call("grantConsent", headers=auth, json=grant)
    contract.call("getConsent", {"consentId": consent["id"]}, headers=auth)
    check = {
        "bsn": BSN,
        "purpose": PURPOSE,
        "requesterDomain": "kcc",
        "targetDomain": "burgerzaken",
    }
    assert contract.call("checkConsent", headers=auth, json=check)["allowed"] is True
    search = {"bsn": BSN, "requesterDomain": "kcc", "purpose": PURPOSE}
    history = contract.call("searchContactHistory", headers=auth, json=search)
    assert [i["id"] for i in history["items"]] == [contact_id]
    withdrawal = {"reason": "citizen-request"}
    contract.call("withdrawConsent", {"consentId": consent["id"]}, headers=auth, json=withdrawal)
    found = contract.call("searchConsents", headers=auth, json={"bsn": BSN})
    assert [c["state"] for c in found["consents"]] == ["withdrawn"]
    return str(contact_id)


def _complaints(contract: Contract, auth: dict[str, str], contact_id: str) -> None:
    new = {
        "requestId": "contract-complaint",
        "bsn": BSN,
        "channel": "phone",
        "orgUnit": "burgerzaken",
        "description": "Ik wacht al weken op antwoord.",
        "contactId": contact_id,
    }
    filed = contract.call("fileComplaint", headers=auth, json=new)
    one = {"complaintId": filed["complaint"]["id"]}
    assert filed["complaint"]["callbackDueDate"]
    search = {"bsn": BSN, "requesterDomain": "klachten", "purpose": "complaint-handling"}
    history = contract.call("searchContactHistory", headers=auth, json=search)
    [shown] = [i for i in history["items"] if i["kind"] == "complaint"]
    assert shown["id"] == one["complaintId"] and "topic" not in shown
    assert shown["complaint"]["status"] == "received"
    assert shown["complaint"]["callbackDueDate"] == filed["complaint"]["callbackDueDate"]
    contract.call("listComplaints", headers=auth, params={"status": "received"})
    contract.call("getComplaint", one, headers=auth)
    contract.call("recordCallback", one, headers=auth, json={"handlingForm": "informal"})
    contract.call("chooseHandlingForm", one, headers=auth, json={"handlingForm": "hearing"})
    contract.call("extendDecisionDeadline", one, headers=auth, json={"reason": "meer tijd"})
    decision = {"outcome": "founded", "handledByOrgUnit": "burgerzaken"}
    contract.call("decideComplaint", one, headers=auth, json=decision)
    closed = contract.call("closeComplaint", one, headers=auth)
    assert closed["status"] == "closed"
    other = contract.call("fileComplaint", headers=auth, json={**new, "requestId": "contract-2"})
    two = {"complaintId": other["complaint"]["id"]}
    move = {"coordinator": "centraal", "reason": "past beter"}
    contract.call("reassignComplaint", two, headers=auth, json=move)
    contract.call("withdrawComplaint", two, headers=auth)
    period = {"startTime": _now(-timedelta(days=1)), "endTime": _now(timedelta(days=1))}
    assert contract.call("getComplaintStats", headers=auth, params=period)["total"] == 2
    # The citizen's contact was surveyed first (ContactRegistered); survey fatigue then keeps
    # the closed complaint from inviting the same citizen again within 30 days.
    return _surveys(contract, auth, f"contacts/{contact_id}")


def _surveys(contract: Contract, auth: dict[str, str], source: str) -> None:
    metadata = [("authorization", auth["Authorization"])]
    stub = surveys_pb2_grpc.SurveysServiceStub(contract.rest.stack.channel)
    wanted = spb.GetInvitationRequest(source_reference=source)
    invitation = eventually(lambda: stub.GetInvitation(wanted, metadata=metadata))
    address = spb.ContactAddress(kind=spb.ADDRESS_KIND_EMAIL, value="burger@example.nl")
    attach = spb.AttachContactAddressRequest(name=invitation.name, contact_address=address)
    stub.AttachContactAddress(attach, metadata=metadata)
    [message] = outbox(contract.rest.stack)
    answer: dict[str, Any] = {
        "token": token_of(message),
        "score": 4,
        "aspect": "uitkomst",
        "mayCallBack": True,
        "consentPurposeVersion": 1,
    }
    assert contract.call("submitSurveyResponse", json=answer)["callbackScheduled"] is True
    tasks = contract.call("listCallbackTasks", headers=auth, params={"orgUnit": "kcc-team"})
    [task] = tasks["tasks"]
    done = contract.call("completeCallbackTask", {"taskId": task["id"]}, headers=auth)
    assert done["state"] == "done"
    period = {"startTime": _now(-timedelta(days=1)), "endTime": _now(timedelta(days=1))}
    contract.call("getSurveyInsights", headers=auth, params={**period, "groupBy": "channel"})
    contract.call("listImprovements", params={"quarter": "2026-Q4"})


def _processing_log(contract: Contract, auth: dict[str, str]) -> None:
    listed = contract.call("listProcessingRecords", headers=auth, params={"pageSize": 10})
    assert listed["records"]
    mine = contract.call("searchProcessingRecords", headers=auth, json={"bsn": BSN})
    assert mine["records"]
    since = {"fromTime": _now(-timedelta(hours=1))}
    assert contract.call("getProcessingReport", headers=auth, params=since)["records"] > 0
    head = contract.call("getLatestTreeHead", headers=auth)
    size = head["treeSize"]
    proof = {"leafIndex": 0, "treeSize": size}
    contract.call("getInclusionProof", headers=auth, params=proof)
    contract.call("getConsistencyProof", headers=auth, params={"firstSize": 1, "secondSize": size})
    verified = contract.call("verifyProcessingLog", headers=auth)
    assert verified["intact"] is True and verified["checkedRecords"] >= size


def test_every_operation_is_answered_as_the_document_describes(rest: Rest) -> None:
    contract = Contract(rest)
    auth = rest.auth()
    contact_id = _contacts_and_consents(contract, auth)
    _complaints(contract, auth, contact_id)
    _processing_log(contract, auth)
    assert contract.answered == set(contract.operations)


def test_errors_are_problem_documents_with_the_services_field_names(rest: Rest) -> None:
    contract = Contract(rest)
    auth = rest.auth()
    missing = contract.problem("GET", "/contacts", 401)
    assert missing["code"] == "TOKEN_MISSING"
    bad_unit = {
        "requestId": "bad-unit",
        "domain": "kcc",
        "channel": "phone",
        "topic": "paspoort",
        "orgUnit": "Not A Code!",
        "occurredAt": _now(),
    }
    refused = contract.problem("POST", "/contacts", 400, headers=auth, json=bad_unit)
    assert "orgUnit" in [p["name"] for p in refused["invalidParams"]]
    foreign = rest.auth("other", ["burgerzaken"], ["agent"])
    denied = contract.problem(
        "POST", "/contacts", 403, headers=foreign, json={**bad_unit, "orgUnit": "kcc"}
    )
    assert denied["code"] == "DOMAIN_NOT_IN_TOKEN"
    absent = "00000000-0000-4000-8000-000000000000"
    contract.problem("GET", f"/contacts/{absent}", 404, headers=auth)
    unknown = contract.problem(
        "POST", "/contacts", 400, headers=auth, json={**bad_unit, "colour": 1}
    )
    assert unknown["invalidParams"] == [
        {"name": "body", "reason": "has a property that is not defined"}
    ]
    contract.problem("GET", "/no-such-thing", 404)
    contract.problem("DELETE", "/contacts", 405)
