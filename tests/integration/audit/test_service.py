"""The audit use cases on real storage: roles, refusals that write nothing, queries, paging."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

import pytest

from stadskamer.audit.domain import RecordFilter
from stadskamer.audit.merkle import EMPTY_ROOT
from stadskamer.audit.ports import RejectedSubject
from stadskamer.audit.service import ProcessingLogService, ProcessingQuery, QueryPurpose, Report
from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from tests.integration.audit.conftest import Log, record

SERVICE = Principal("kcc-service", frozenset({"kcc"}), frozenset({"service"}))
OFFICER = Principal("po-1", frozenset(), frozenset({"privacy-officer"}))
AGENT = Principal("agent-1", frozenset({"kcc"}), frozenset({"agent"}))
PP_A = b"A" * 96
PP_B = b"B" * 96


class FakeSubjects:
    """Audit pseudonyms derived from the first byte (so rerandomized forms map alike)."""

    def audit_pseudonyms(self, subjects: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """A 32-byte pseudonym per subject; refuses ones starting with X."""
        for index, (subject, _) in enumerate(subjects):
            if subject.startswith(b"X"):
                raise RejectedSubject(index)
        return [hashlib.sha256(s[:1]).digest() for s, _ in subjects]


def _service(log: Log) -> ProcessingLogService:
    return ProcessingLogService(
        log.register, FakeSubjects(), log.writer, log.reader, log.queries, log.signer
    )


def _report(number: int, subject: bytes = b"", **changes: str) -> Report:
    entry = replace(record(number).entry, purpose="", legal_basis="", **changes)
    return Report(entry, subject)


def test_a_service_appends_and_the_register_fills_activity_purpose_and_basis(log: Log) -> None:
    service = _service(log)
    appended = service.append(SERVICE, [_report(0, PP_A), _report(1)])
    assert appended.indexes == [0, 1]
    stored = log.queries.page(RecordFilter(), -1, 10, 10)
    first = stored[0][0]
    assert first.subject == hashlib.sha256(b"A").digest()
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
        ([_report(0, PP_A), _report(1, b"X" * 96)], "records[1].subject_polymorphic"),
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


def test_only_services_append_and_only_privacy_officers_query(log: Log) -> None:
    service = _service(log)
    with pytest.raises(PermissionDenied):
        service.append(AGENT, [_report(0)])
    with pytest.raises(PermissionDenied):
        service.list_processing(SERVICE, ProcessingQuery(QueryPurpose.SUPERVISION), 10, "")
    assert log.queries.page(RecordFilter(), -1, 10, 10) == []


def test_the_query_is_logged_and_pages_end_even_when_each_page_logs_itself(log: Log) -> None:
    service = _service(log)
    service.append(SERVICE, [_report(n, PP_A if n % 2 else PP_B) for n in range(7)])
    query = ProcessingQuery(QueryPurpose.SUBJECT_ACCESS, b"A" + bytes(95))
    seen, token, pages = [], "", 0
    while True:
        page = service.list_processing(OFFICER, query, 1, token)
        seen += [r.index for r, _ in page.records]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert seen == [1, 3, 5]
    assert pages == 3
    logged = log.queries.page(RecordFilter(actor="po-1"), -1, 100, 100)
    assert len(logged) == 3
    own = logged[0][0]
    assert own.entry.name == "audit.subject-access" and own.activity_id == "inzageverzoek"
    assert own.subject == hashlib.sha256(b"A").digest()
    again = service.list_processing(OFFICER, query, 10, "")
    assert [r.index for r, _ in again.records] == [1, 3, 5, 7, 8, 9]


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
