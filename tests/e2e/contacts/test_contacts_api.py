"""The contacts service end to end: the embedded stack with real servers, tokens and keys."""

from __future__ import annotations

import logging
import socket

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.api.contacts.v1 import contacts_pb2_grpc as pb_grpc
from stadskamer.cli.embedded import embedded_server_settings
from stadskamer.common.db import sqlite_url
from stadskamer.common.keys import KeyLayout
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.contacts.bootstrap import create_server
from stadskamer.contacts.settings import ContactsSettings
from tests.e2e.contacts.conftest import ALL_DOMAINS, Caller, ago, caller, has_retry_info, violations
from tests.support.databases import dump_database_text, files_containing
from tests.support.stack import Stack

BSN = "111222333"
OTHER_BSN = "123456782"
BZ = "burgerzaken"
SUMMARY = "Mevrouw vraagt voor de derde keer naar haar paspoort, spoed i.v.m. reis"


def test_a_repeat_links_within_burgerzaken_and_not_across_domains(stack: Stack) -> None:
    agent = caller(stack, ["kcc", "burgerzaken"], ["agent"])
    first = agent.register(request_id="c1", domain="burgerzaken", subject=agent.subject(BSN, BZ))
    second = agent.register(
        request_id="c2",
        domain="burgerzaken",
        subject=agent.subject(BSN, BZ),
        occurred_at=ago(minutes=10),
        topic="rijbewijs",
    )
    phone = agent.register(
        request_id="c3",
        domain="kcc",
        subject=agent.subject(BSN, "kcc"),
        channel=channel_pb2.CHANNEL_PHONE,
        org_unit="kcc-telefonie",
        occurred_at=ago(minutes=5),
    )
    stranger = agent.register(
        request_id="c4", domain="burgerzaken", subject=agent.subject(OTHER_BSN, BZ)
    )
    assert not first.repeat.is_repeat
    assert second.repeat.is_repeat
    assert second.repeat.previous_contacts == 1
    assert not second.repeat.same_topic
    assert list(second.repeat.channels) == [channel_pb2.CHANNEL_COUNTER]
    assert second.repeat.last_contact_at == first.contact.occurred_at
    assert second.contact.repeat == second.repeat
    assert not phone.repeat.is_repeat, "a kcc contact does not see burgerzaken contacts"
    assert not stranger.repeat.is_repeat
    retry = agent.register(request_id="c2", domain="burgerzaken", subject=agent.subject(BSN, BZ))
    assert retry.contact.name == second.contact.name
    assert retry.repeat == second.repeat
    mine = agent.stub.ListContacts(
        pb.ListContactsRequest(domain="burgerzaken", subject=agent.subject(BSN, BZ)),
        metadata=agent.metadata,
    ).contacts
    assert [c.name for c in mine] == [second.contact.name, first.contact.name]
    assert [c.request_id for c in mine] == ["", ""], "request ids are not stored"
    assert retry.contact.request_id == "c2"
    assert all(c.has_subject for c in mine)


def test_a_domain_never_sees_another_domains_rows(stack: Stack, everyone: Caller) -> None:
    for index, domain in enumerate(ALL_DOMAINS * 3):
        everyone.register(
            request_id=f"r{index}",
            domain=domain,
            subject=everyone.subject(BSN, domain),
            topic="afval",
        )
    kcc = caller(stack, ["kcc"], ["agent"])
    assert {c.domain for c in kcc.all_contacts()} == {"kcc"}
    by_subject = pb.ListContactsRequest(subject=kcc.subject(BSN))
    assert len(kcc.stub.ListContacts(by_subject, metadata=kcc.metadata).contacts) == 3
    with pytest.raises(grpc.RpcError) as caught:
        foreign = pb.ListContactsRequest(subject=everyone.subject(BSN, "sociale-zaken"))
        kcc.stub.ListContacts(foreign, metadata=kcc.metadata)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as caught:
        kcc.all_contacts(domain="burgerzaken")
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    foreign = everyone.all_contacts(domain="sociale-zaken")[0]
    with pytest.raises(grpc.RpcError) as caught:
        kcc.stub.GetContact(pb.GetContactRequest(name=foreign.name), metadata=kcc.metadata)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    analyst = caller(stack, ["burgerzaken", "belastingen"], ["analyst"])
    assert {c.domain for c in analyst.all_contacts()} == {"burgerzaken", "belastingen"}
    assert len(analyst.all_contacts()) == 6


def test_bsns_and_summaries_never_reach_storage_logs_or_spans(
    stack: Stack, everyone: Caller, caplog: pytest.LogCaptureFixture, spans: InMemorySpanExporter
) -> None:
    caplog.set_level(logging.DEBUG)
    subject = everyone.subject(BSN, BZ)
    created = everyone.register(
        request_id="s1", domain="burgerzaken", subject=subject, summary=SUMMARY
    )
    batch = pb.BatchRegisterContactsRequest(
        requests=[
            pb.RegisterContactRequest(
                request_id=f"b{i}",
                domain="kcc",
                subject=everyone.subject(OTHER_BSN, "kcc"),
                channel=channel_pb2.CHANNEL_CHAT,
                topic="afval",
                org_unit="kcc-digitaal",
                occurred_at=ago(hours=i),
                summary=SUMMARY,
            )
            for i in range(3)
        ]
    )
    everyone.stub.BatchRegisterContacts(batch, metadata=everyone.metadata)
    read = everyone.stub.GetContact(
        pb.GetContactRequest(name=created.contact.name), metadata=everyone.metadata
    )
    assert read.summary == SUMMARY
    listed = everyone.stub.ListContacts(
        pb.ListContactsRequest(subject=everyone.subject(BSN, BZ)), metadata=everyone.metadata
    ).contacts
    assert [c.summary for c in listed] == [SUMMARY]
    literals = [BSN, OTHER_BSN, SUMMARY, "derde keer naar haar paspoort"]
    assert files_containing(stack.data_dir, literals) == []
    stored = dump_database_text(sqlite_url(stack.data_dir, "contacts"))
    assert all(literal not in stored for literal in literals)
    assert subject.hex() not in stored and subject.decode("latin-1") not in stored
    assert all(literal not in caplog.text for literal in literals)
    exported = [str(s.name) + repr(dict(s.attributes or {})) for s in spans.get_finished_spans()]
    assert exported, "the requests were traced"
    assert all(literal not in text for text in exported for literal in literals)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": 42}, "channel"),
        ({"channel": 0}, "channel"),
        ({"topic": "ruimtevaart"}, "topic"),
        ({"topic": ""}, "topic"),
        ({"occurred_at": ago(minutes=-30)}, "occurred_at"),
        ({"occurred_at": None}, "occurred_at"),
        ({"summary": "x" * 2001}, "summary"),
        ({"subject": b"\x01" * 95}, "subject"),
        ({"subject": b"\x01" * 96}, "subject"),
        ({"domain": "onderzoek"}, "domain"),
        ({"request_id": ""}, "request_id"),
        ({"org_unit": "Team Noord"}, "org_unit"),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field_and_writes_nothing(
    everyone: Caller, fields: dict[str, object], field: str
) -> None:
    values = {"request_id": "bad", "domain": "kcc", "subject": everyone.subject(BSN, "kcc")}
    values.update(fields)
    if values.get("occurred_at", 1) is None:
        del values["occurred_at"]
        values["occurred_at"] = pb.RegisterContactRequest().occurred_at
    with pytest.raises(grpc.RpcError) as caught:
        everyone.register(**values)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(caught.value) == [field]
    assert BSN not in str(caught.value.details())
    assert everyone.all_contacts() == []


def test_a_bad_item_fails_the_whole_batch(everyone: Caller) -> None:
    items = [
        pb.RegisterContactRequest(
            request_id=f"i{i}",
            domain="kcc",
            subject=everyone.subject(BSN, "kcc"),
            channel=channel_pb2.CHANNEL_PHONE,
            topic="afval" if i != 2 else "onbekend",
            org_unit="kcc-telefonie",
            occurred_at=ago(hours=1),
        )
        for i in range(4)
    ]
    with pytest.raises(grpc.RpcError) as caught:
        everyone.stub.BatchRegisterContacts(
            pb.BatchRegisterContactsRequest(requests=items), metadata=everyone.metadata
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(caught.value) == ["requests[2].topic"]
    assert everyone.all_contacts() == []


def test_an_unreachable_pseudonym_service_is_unavailable_and_writes_nothing(
    stack: Stack, everyone: Caller
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    layout = KeyLayout.under(stack.data_dir)
    token = stack.token("contacts-service", ALL_DOMAINS, ["service"])
    settings = ContactsSettings(
        server=embedded_server_settings(stack.data_dir, "127.0.0.1", 0),
        database_url=sqlite_url(stack.data_dir, "contacts"),
        pseudonyms_address=f"127.0.0.1:{closed_port}",
        domain_key_files=tuple(layout.domain_key(d) for d in ALL_DOMAINS),
        service_token=lambda: token,
        processing_log=ProcessingLogSettings("contacts", local_dir=stack.data_dir / "local-log"),
    )
    running, port = create_server(settings)
    running.server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            isolated = Caller(
                pb_grpc.ContactsServiceStub(channel),
                everyone.token,
                everyone.pseudonyms,
                everyone.citizens,
            )
            with pytest.raises(grpc.RpcError) as caught:
                subject = everyone.subject(BSN, "kcc")
                isolated.register(request_id="u1", domain="kcc", subject=subject)
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert has_retry_info(caught.value)
            anonymous = isolated.register(request_id="u2", domain="kcc")
            assert not anonymous.contact.has_subject
    finally:
        running.stop(0.5)
    assert [c.name for c in everyone.all_contacts()] == [anonymous.contact.name]


def test_a_page_token_is_bound_to_its_filters(everyone: Caller) -> None:
    for index in range(3):
        everyone.register(request_id=f"p{index}", domain="kcc", topic="afval")
    first = everyone.stub.ListContacts(
        pb.ListContactsRequest(domain="kcc", page_size=2), metadata=everyone.metadata
    )
    assert len(first.contacts) == 2
    second = everyone.stub.ListContacts(
        pb.ListContactsRequest(domain="kcc", page_size=2, page_token=first.next_page_token),
        metadata=everyone.metadata,
    )
    assert len(second.contacts) == 1
    assert not second.next_page_token
    with pytest.raises(grpc.RpcError) as caught:
        everyone.stub.ListContacts(
            pb.ListContactsRequest(domain="kcc", topic="afval", page_token=first.next_page_token),
            metadata=everyone.metadata,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(caught.value) == ["page_token"]
