"""The privacy screen's processing routes: a search by BSN is an issuance into audit, as the
caller, and finds the citizen's records of every reporting domain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.remote_processing_log import RemoteProcessingLog
from tests.e2e.gateway.support import Rest, running_rest
from tests.support.audit import record_subject

BSN, OTHER_BSN = "111222333", "123456782"


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rest]:
    """One stack and gateway for the module, with one citizen reported by kcc and klachten."""
    with running_rest(tmp_path_factory.mktemp("processing") / "var") as running:
        stack = running.stack
        token = stack.token("kcc-service", ["audit"], ["service"])
        log = RemoteProcessingLog.connect(stack.address, lambda: token)
        log.append_many(
            [
                ProcessingRecord.now(
                    "contacts.register",
                    "OK",
                    target_domain="kcc",
                    reference="contacts/c-9",
                    subject_tagged=record_subject(stack, BSN, "kcc"),
                ),
                ProcessingRecord.now(
                    "complaints.file",
                    "OK",
                    target_domain="klachten",
                    subject_tagged=record_subject(stack, BSN, "klachten"),
                ),
                ProcessingRecord.now(
                    "contacts.register", "OK", subject_tagged=record_subject(stack, OTHER_BSN)
                ),
            ]
        )
        log.close()
        yield running


def _officer(rest: Rest, roles: tuple[str, ...] = ("privacy-officer", "issuer")) -> dict[str, str]:
    return rest.auth("po-1", [], list(roles))


def test_a_search_by_bsn_finds_the_records_of_every_reporting_domain(rest: Rest) -> None:
    response = rest.call("POST", "/processing-records/_search", _officer(rest), json={"bsn": BSN})
    assert response.status_code == 200, response.text
    records = [r for r in response.json()["records"] if r["name"] != "pseudonyms.issue"]
    assert [r["name"] for r in records] == ["contacts.register", "complaints.file"]
    assert records[0]["subject"] != records[1]["subject"]
    assert records[0]["reference"].startswith("keyed:")
    assert BSN not in response.text


def test_a_reference_is_found_by_the_id_a_service_named(rest: Rest) -> None:
    body = {"reference": "contacts/c-9", "queryPurpose": "supervision"}
    response = rest.call("POST", "/processing-records/_search", _officer(rest), json=body)
    assert [r["name"] for r in response.json()["records"]] == ["contacts.register"]
    listed = rest.call("GET", "/processing-records?reference=contacts/c-9", _officer(rest))
    assert [r["name"] for r in listed.json()["records"]] == ["contacts.register"]


def test_without_the_issuer_role_or_with_a_bad_bsn_nothing_is_searched(rest: Rest) -> None:
    refused = rest.call(
        "POST",
        "/processing-records/_search",
        _officer(rest, ("privacy-officer",)),
        json={"bsn": BSN},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "ROLE_MISSING"
    bad = rest.call(
        "POST", "/processing-records/_search", _officer(rest), json={"bsn": "123456789"}
    )
    assert bad.status_code == 400 and "123456789" not in bad.text
    old = rest.call(
        "POST", "/processing-records/_search", _officer(rest), json={"polymorphicPseudonym": "AA"}
    )
    assert old.status_code == 400
