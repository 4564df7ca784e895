"""The audit use cases on real storage: roles, refusals that write nothing, tagged subjects per
reporting domain, keyed references, queries, paging."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stadskamer.audit.domain import RecordFilter
from stadskamer.audit.merkle import EMPTY_ROOT
from stadskamer.audit.references import ReferenceKeys
from stadskamer.audit.service import ProcessingLogService, ProcessingQuery, QueryPurpose, Report
from stadskamer.audit.subjects import AuditSubjects
from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from tests.integration.audit.conftest import Log, record
from tests.unit.audit.tagged import Tagger

SERVICE = Principal("kcc-service", frozenset({"kcc"}), frozenset({"service"}))
OFFICER = Principal("po-1", frozenset(), frozenset({"privacy-officer"}))
AGENT = Principal("agent-1", frozenset({"kcc"}), frozenset({"agent"}))
TAGGER = Tagger()


def _service(log: Log) -> ProcessingLogService:
    return ProcessingLogService(
        log.register,
        AuditSubjects(TAGGER, TAGGER.audit_key),
        ReferenceKeys(TAGGER.audit_key.secret_key),
        log.writer,
        log.reader,
        log.queries,
        log.signer,
    )


def _report(number: int, subject: bytes = b"", **changes: str) -> Report:
    entry = replace(record(number).entry, purpose="", legal_basis="", **changes)
    return Report(entry, subject)


def _subject(citizen: str = "A", domain: str = "kcc") -> bytes:
    return TAGGER.subject(citizen, domain)


def test_a_service_appends_and_the_register_fills_activity_purpose_and_basis(log: Log) -> None:
    service = _service(log)
    appended = service.append(SERVICE, [_report(0, _subject()), _report(1)])
    assert appended.indexes == [0, 1]
    stored = log.queries.page(RecordFilter(), -1, 10, 10)
    first = stored[0][0]
    assert first.subject == TAGGER.pseudonym("A", "kcc")
    assert (first.activity_id, first.activity_version, first.reporter) == (
        "klantcontacten",
        1,
        "kcc-service",
    )
    assert first.entry.purpose == "customer-contact" and first.entry.legal_basis
    assert stored[1][0].subject == b""


@pytest.mark.parametrize(
    ("reports", "field"),
    [
        ([_report(0), _report(1, actor="Jan Jansen")], "records[1].actor"),
        ([_report(0, name="unknown.thing")], "records[0].name"),
        ([_report(0, _subject()), _report(1, b"X" * 96)], "records[1].subject_tagged"),
        (
            [_report(0, _subject("A", "kcc").replace(b"audit/kcc", b"audit/kcd"))],
            "records[0].subject_tagged",
        ),
        ([], "records"),
    ],
)
def test_bad_records_are_refused_naming_the_field_and_nothing_is_written(
    log: Log, reports: list[Report], field: str
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        _service(log).append(SERVICE, reports)
    assert field in [v.field for v in raised.value.violations]
    assert log.queries.page(RecordFilter(), -1, 10, 10) == []


@pytest.mark.parametrize("untagged", ["subject_polymorphic", "subject_encrypted"])
def test_a_subject_in_another_form_than_tagged_is_refused_by_name(log: Log, untagged: str) -> None:
    reports = [_report(0, _subject()), Report(_report(1).entry, untagged=untagged)]
    with pytest.raises(InvalidArgument) as raised:
        _service(log).append(SERVICE, reports)
    assert raised.value.reason == "UNTAGGED_PSEUDONYM"
    assert [v.field for v in raised.value.violations] == [f"records[1].{untagged}"]
    assert log.queries.page(RecordFilter(), -1, 10, 10) == []


def test_subject_domain_is_empty_or_the_reporting_domain_of_the_tag(log: Log) -> None:
    service = _service(log)
    entry = _report(0).entry
    for report in (Report(entry, _subject(), "klachten"), Report(entry, b"", "kcc")):
        with pytest.raises(InvalidArgument) as raised:
            service.append(SERVICE, [report])
        assert raised.value.violations[0].field == "records[0].subject_domain"
    assert service.append(SERVICE, [Report(entry, _subject(), "kcc")]).indexes == [0]


def test_references_are_kept_keyed_and_found_by_the_id_the_officer_gives(log: Log) -> None:
    service = _service(log)
    service.append(
        SERVICE,
        [
            _report(0, reference="contacts/c-1"),
            _report(1, reference="contacts/c-1", target_domain="klachten"),
            _report(2, reference="206"),
        ],
    )
    stored = [r for r, _ in log.queries.page(RecordFilter(), -1, 10, 10)]
    kept = [r.entry.reference for r in stored]
    assert kept[0].startswith("keyed:") and kept[1].startswith("keyed:") and kept[0] != kept[1]
    assert kept[2] == "206"
    query = ProcessingQuery(QueryPurpose.SUPERVISION, reference="contacts/c-1")
    assert [r.index for r, _ in service.list_processing(OFFICER, query, 10, "").records] == [0, 1]
    count = ProcessingQuery(QueryPurpose.SUPERVISION, reference="206")
    assert [r.index for r, _ in service.list_processing(OFFICER, count, 10, "").records] == [2]


def test_only_services_append_and_only_privacy_officers_query(log: Log) -> None:
    service = _service(log)
    with pytest.raises(PermissionDenied):
        service.append(AGENT, [_report(0)])
    with pytest.raises(PermissionDenied):
        service.list_processing(SERVICE, ProcessingQuery(QueryPurpose.SUPERVISION), 10, "")
    assert log.queries.page(RecordFilter(), -1, 10, 10) == []


def test_the_query_is_logged_and_pages_end_even_when_each_page_logs_itself(log: Log) -> None:
    service = _service(log)
    service.append(SERVICE, [_report(n, _subject("A" if n % 2 else "B", "kcc")) for n in range(7)])
    klachten = Principal("klachten-service", frozenset({"klachten"}), frozenset({"service"}))
    service.append(klachten, [_report(7, _subject("A", "klachten"))])
    issued = (_subject("A", "burgerzaken"), _subject("A", "kcc"), _subject("A", "klachten"))
    query = ProcessingQuery(QueryPurpose.SUBJECT_ACCESS, issued)
    seen, token, pages = [], "", 0
    while True:
        page = service.list_processing(OFFICER, query, 1, token)
        seen += [r.index for r, _ in page.records]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert seen == [1, 3, 5, 7]
    assert pages == 4
    logged = log.queries.page(RecordFilter(actor="po-1"), -1, 100, 100)
    assert len(logged) == 4
    own = logged[0][0]
    assert own.entry.name == "audit.subject-access" and own.activity_id == "inzageverzoek"
    assert own.subject == TAGGER.pseudonym("A", "burgerzaken")
    again = service.list_processing(OFFICER, query, 10, "")
    assert [r.index for r, _ in again.records] == [1, 3, 5, 7, 8, 9, 10, 11]


def test_a_query_by_an_untagged_or_foreign_subject_is_refused_and_not_logged(log: Log) -> None:
    service = _service(log)
    untagged = ProcessingQuery(QueryPurpose.SUBJECT_ACCESS, untagged="subject_polymorphic")
    with pytest.raises(InvalidArgument) as raised:
        service.list_processing(OFFICER, untagged, 10, "")
    assert raised.value.reason == "UNTAGGED_PSEUDONYM"
    assert raised.value.violations[0].field == "filter.subject_polymorphic"
    kcc = TAGGER.subject("A", "kcc", audience="kcc")
    foreign = ProcessingQuery(QueryPurpose.SUBJECT_ACCESS, (_subject(), kcc))
    with pytest.raises(InvalidArgument) as raised:
        service.list_processing(OFFICER, foreign, 10, "")
    assert raised.value.violations[0].field == "filter.subjects_tagged[1]"
    assert log.queries.page(RecordFilter(), -1, 10, 10) == []


def test_a_page_token_only_works_with_its_own_filter(log: Log) -> None:
    service = _service(log)
    service.append(SERVICE, [_report(n) for n in range(3)])
    mine = ProcessingQuery(QueryPurpose.SUPERVISION, filter=RecordFilter(domain="kcc"))
    token = service.list_processing(OFFICER, mine, 1, "").next_page_token
    other = ProcessingQuery(QueryPurpose.SUPERVISION, filter=RecordFilter(domain="burgerzaken"))
    with pytest.raises(InvalidArgument) as raised:
        service.list_processing(OFFICER, other, 1, token)
    assert raised.value.violations[0].field == "page_token"


def test_heads_and_proof_requests_are_checked_against_the_log(log: Log) -> None:
    service = _service(log)
    empty = service.tree_head()
    assert empty.head.tree_size == 0 and empty.head.root_hash == EMPTY_ROOT
    assert empty.verify(log.signer.public_key)
    service.append(SERVICE, [_report(n) for n in range(4)])
    for call, field in (
        (lambda: service.inclusion_proof(0, 5), "tree_size"),
        (lambda: service.inclusion_proof(4, 4), "leaf_index"),
        (lambda: service.consistency_proof(0, 4), "first_size"),
        (lambda: service.consistency_proof(3, 2), "second_size"),
        (lambda: service.consistency_proof(2, 9), "second_size"),
    ):
        with pytest.raises(InvalidArgument) as raised:
            call()
        assert raised.value.violations[0].field == field
    assert len(service.inclusion_proof(1, 4)[1]) == 2
