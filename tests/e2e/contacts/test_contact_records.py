"""Every registration request is recorded in the processing log exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from tests.e2e.contacts.conftest import Caller
from tests.support.audit import audit_records
from tests.support.stack import Stack

BSN = "123456782"


def test_a_retried_request_is_recorded_once_with_the_contact_it_stored(
    stack: Stack, everyone: Caller
) -> None:
    first = everyone.register(request_id="once-1", domain="kcc", subject=everyone.subject(BSN))
    again = everyone.register(request_id="once-1", domain="kcc", subject=everyone.subject(BSN))
    assert again.contact.name == first.contact.name
    [record] = audit_records(stack.data_dir, "contacts.register")
    assert record["reference"] == first.contact.name
    assert len(record["subject"]) == 64


def test_concurrent_attempts_of_one_request_store_one_contact_and_one_record(
    stack: Stack, everyone: Caller
) -> None:
    def attempt(_: int) -> pb.RegisterContactResponse:
        return everyone.register(
            request_id="race-1", domain="burgerzaken", subject=everyone.subject(BSN)
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attempt, range(8)))
    assert len({a.contact.name for a in answers}) == 1
    records = audit_records(stack.data_dir, "contacts.register")
    assert [r["reference"] for r in records] == [answers[0].contact.name]


def test_a_batch_with_a_known_request_records_only_the_new_ones(
    stack: Stack, everyone: Caller
) -> None:
    known = everyone.register(request_id="batch-a", domain="kcc", subject=everyone.subject(BSN))
    requests = [
        pb.RegisterContactRequest(
            request_id=request_id,
            domain="kcc",
            subject=everyone.subject(BSN),
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
            subject=everyone.subject(BSN),
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
