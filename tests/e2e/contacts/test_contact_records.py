"""Every registration request is recorded in the processing log exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from tests.e2e.contacts.conftest import Caller, violations
from tests.support.audit import audit_records
from tests.support.stack import Stack

BSN = "123456782"
OTHER_BSN = "111222333"


def test_a_retried_request_is_recorded_once_with_the_contact_it_stored(
    stack: Stack, everyone: Caller
) -> None:
    first = everyone.register(
        request_id="once-1", domain="kcc", subject=everyone.subject(BSN, "kcc")
    )
    again = everyone.register(
        request_id="once-1", domain="kcc", subject=everyone.subject(BSN, "kcc")
    )
    assert again.contact.name == first.contact.name
    [record] = audit_records(stack.data_dir, "contacts.register")
    assert record["reference"] == first.contact.name
    assert len(record["subject"]) == 64


def test_concurrent_attempts_of_one_request_store_one_contact_and_one_record(
    stack: Stack, everyone: Caller
) -> None:
    def attempt(_: int) -> pb.RegisterContactResponse:
        return everyone.register(
            request_id="race-1", domain="burgerzaken", subject=everyone.subject(BSN, "burgerzaken")
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attempt, range(8)))
    assert len({a.contact.name for a in answers}) == 1
    records = audit_records(stack.data_dir, "contacts.register")
    assert [r["reference"] for r in records] == [answers[0].contact.name]


def test_a_batch_with_a_known_request_records_only_the_new_ones(
    stack: Stack, everyone: Caller
) -> None:
    known = everyone.register(
        request_id="batch-a", domain="kcc", subject=everyone.subject(BSN, "kcc")
    )
    requests = [
        pb.RegisterContactRequest(
            request_id=request_id,
            domain="kcc",
            subject=everyone.subject(BSN, "kcc"),
            channel=known.contact.channel,
            topic="afval",
            org_unit="kcc-telefonie",
            occurred_at=known.contact.occurred_at,
        )
        for request_id in ("batch-a", "batch-b", "batch-c")
    ]
    batch = everyone.stub.BatchRegisterContacts(
        pb.BatchRegisterContactsRequest(requests=requests), metadata=everyone.metadata
    )
    names = [r.contact.name for r in batch.responses]
    assert names[0] == known.contact.name
    references = sorted(r["reference"] for r in audit_records(stack.data_dir, "contacts.register"))
    assert references == sorted(names)


def test_a_repeated_batch_is_answered_and_recorded_once(stack: Stack, everyone: Caller) -> None:
    occurred_at = everyone.register(request_id="probe", domain="kcc").contact.occurred_at
    requests = [
        pb.RegisterContactRequest(
            request_id=f"import-{n}",
            domain="kcc",
            subject=everyone.subject(BSN, "kcc"),
            channel=2,
            topic="afval",
            org_unit="kcc-telefonie",
            occurred_at=occurred_at,
        )
        for n in range(3)
    ]
    batch = pb.BatchRegisterContactsRequest(requests=requests)
    first = everyone.stub.BatchRegisterContacts(batch, metadata=everyone.metadata)
    again = everyone.stub.BatchRegisterContacts(batch, metadata=everyone.metadata)
    assert [r.contact.name for r in again.responses] == [r.contact.name for r in first.responses]
    references = [r["reference"] for r in audit_records(stack.data_dir, "contacts.register")]
    assert sorted(references) == sorted({*references})
    assert len(references) == 4


def test_a_retry_with_the_spent_subject_is_answered_but_the_subject_serves_no_other_request(
    everyone: Caller,
) -> None:
    subject = everyone.subject(BSN, "kcc")
    first = everyone.register(request_id="same-1", domain="kcc", subject=subject)
    again = everyone.register(request_id="same-1", domain="kcc", subject=subject)
    assert again.contact.name == first.contact.name
    with pytest.raises(grpc.RpcError) as caught:
        everyone.register(request_id="same-2", domain="kcc", subject=subject)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as caught:
        everyone.register(
            request_id="same-3", domain="burgerzaken", subject=everyone.subject(BSN, "kcc")
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(caught.value) == ["subject"]


def test_every_read_leaves_one_record(stack: Stack, everyone: Caller) -> None:
    for n, bsn in enumerate([BSN, BSN, OTHER_BSN]):
        everyone.register(request_id=f"read-{n}", domain="kcc", subject=everyone.subject(bsn))
    anonymous = everyone.register(request_id="read-anonymous", domain="kcc")
    everyone.stub.GetContact(
        pb.GetContactRequest(name=anonymous.contact.name), metadata=everyone.metadata
    )
    page = everyone.stub.ListContacts(
        pb.ListContactsRequest(domain="kcc"), metadata=everyone.metadata
    )
    assert len(page.contacts) == 4
    by_subject = pb.ListContactsRequest(domain="kcc", subject=everyone.subject(BSN))
    assert len(everyone.stub.ListContacts(by_subject, metadata=everyone.metadata).contacts) == 2
    records = audit_records(stack.data_dir, "contacts.read")
    assert [r["reference"] for r in records] == [anonymous.contact.name, "citizens=2", "2"]
    assert {r["actor"] for r in records} == {"test-system"}
