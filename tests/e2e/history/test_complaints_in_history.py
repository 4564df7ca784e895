"""Complaints in the history through real servers: consent-gated for the KCC, recorded."""

from __future__ import annotations

from stadskamer.api.complaints.v1 import complaints_pb2
from stadskamer.api.consent.v1 import consent_pb2
from stadskamer.api.history.v1 import history_pb2
from tests.e2e.history.support import PURPOSE, Citizen


def _complaints(response: history_pb2.GetHistoryResponse) -> dict[str, history_pb2.HistoryItem]:
    return {
        item.complaint.case_number: item
        for item in response.items
        if item.kind == history_pb2.ITEM_KIND_COMPLAINT
    }


def test_the_kcc_sees_the_citizens_complaints_only_with_consent(citizen: Citizen) -> None:
    recent = citizen.file_complaint("recent", days_ago=2)
    old_but_open = citizen.file_complaint("old-but-open", days_ago=120)
    without = citizen.history("kcc")
    assert _complaints(without) == {}
    assert "klachten" not in {c.domain for c in without.consulted_domains}

    name = citizen.grant()
    shown = _complaints(citizen.history("kcc"))
    assert set(shown) == {recent.case_number, old_but_open.case_number}
    item = shown[recent.case_number]
    assert (item.domain, item.name, item.org_unit) == ("klachten", recent.name, "burgerzaken")
    assert (item.basis.kind, item.basis.consent) == (consent_pb2.BASIS_KIND_CONSENT, name)
    state = item.complaint
    assert state.status == complaints_pb2.COMPLAINT_STATUS_RECEIVED
    assert state.callback_due_date == recent.callback_due_date and not state.callback_overdue
    assert state.decision_due_date == recent.decision_due_date
    assert shown[old_but_open.case_number].complaint.callback_overdue
    assert item.topic == ""

    citizen.withdraw(name)
    assert _complaints(citizen.history("kcc")) == {}


def test_the_complaint_read_is_in_the_processing_log_with_its_grant(citizen: Citizen) -> None:
    citizen.file_complaint("logged")
    citizen.grant()
    citizen.history("kcc")
    records = citizen.processing()
    (issued,) = [
        r for r in records if r.name == "link-grant.issue" and r.target_domain == "klachten"
    ]
    reads = [r for r in records if r.name == "complaints.list"]
    assert len(reads) == 1
    (read,) = reads
    assert (read.requester_domain, read.target_domain, read.purpose) == ("kcc", "klachten", PURPOSE)
    assert read.basis.startswith("consents/") and read.actor == "kcc-agent"
    assert read.reference == issued.reference  # both name link-grants/<id>, kept keyed


def test_the_coordinator_sees_the_complaints_as_its_own_domain(citizen: Citizen) -> None:
    filed = citizen.file_complaint("coordinated")
    response = citizen.history("klachten", "complaint-handling", role="coordinator")
    bases = {c.domain: c.basis for c in response.consulted_domains}
    assert bases["klachten"].kind == consent_pb2.BASIS_KIND_OWN_DOMAIN
    (item,) = _complaints(response).values()
    assert item.name == filed.name and item.basis.kind == consent_pb2.BASIS_KIND_OWN_DOMAIN
