"""The consent-gated history through real servers: contacts, consent, pseudonyms, history."""

from __future__ import annotations

import grpc
import pytest

from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from stadskamer.api.history.v1 import history_pb2, history_pb2_grpc
from tests.e2e.history.support import DOMAINS, PURPOSE, Citizen
from tests.support.audit import records_settled


def _domains(response: history_pb2.GetHistoryResponse) -> set[str]:
    return {item.domain for item in response.items}


def test_without_consent_the_kcc_sees_only_its_own_contacts(citizen: Citizen) -> None:
    response = citizen.history("kcc")
    assert _domains(response) == {"kcc"}
    assert [c.domain for c in response.consulted_domains] == ["kcc"]
    assert response.items[0].basis.kind == consent_pb2.BASIS_KIND_OWN_DOMAIN


def test_consent_opens_the_other_domains_and_withdrawal_closes_them_at_once(
    citizen: Citizen,
) -> None:
    name = citizen.grant()
    response = citizen.history("kcc")
    assert _domains(response) == set(DOMAINS)
    foreign = [item for item in response.items if item.domain != "kcc"]
    assert all(item.basis.kind == consent_pb2.BASIS_KIND_CONSENT for item in foreign)
    assert all(item.basis.consent == name for item in foreign)
    citizen.withdraw(name)
    assert _domains(citizen.history("kcc")) == {"kcc"}


def test_burgerzaken_never_sees_sociale_zaken_even_with_every_consent(citizen: Citizen) -> None:
    citizen.grant()
    response = citizen.history("burgerzaken")
    assert "sociale-zaken" not in _domains(response)
    assert "sociale-zaken" not in {c.domain for c in response.consulted_domains}


def test_a_caller_cannot_ask_for_another_requester_domain(citizen: Citizen) -> None:
    token = citizen.stack.token("kcc-agent", ["kcc"], ["agent"])
    request = history_pb2.GetHistoryRequest(
        subject=citizen.subject, requester_domain="burgerzaken", purpose=PURPOSE
    )
    with pytest.raises(grpc.RpcError) as raised:
        history_pb2_grpc.HistoryServiceStub(citizen.stack.channel).GetHistory(
            request, metadata=citizen.metadata(token)
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_link_grant_reads_only_its_own_target_domain(citizen: Citizen) -> None:
    citizen.grant()
    token = citizen.stack.token("kcc-agent", ["kcc"], ["agent"])
    metadata = citizen.metadata(token)
    grant = consent_pb2_grpc.ConsentServiceStub(citizen.stack.channel).IssueLinkGrant(
        consent_pb2.IssueLinkGrantRequest(
            subject=citizen.subject,
            purpose=PURPOSE,
            requester_domain="kcc",
            target_domain="burgerzaken",
        ),
        metadata=metadata,
    )
    contacts = contacts_pb2_grpc.ContactsServiceStub(citizen.stack.channel)
    with pytest.raises(grpc.RpcError) as raised:
        contacts.ListContacts(
            contacts_pb2.ListContactsRequest(
                domain="sociale-zaken",
                encrypted_subject=b"\x01" * 96,
                link_grant=grant.link_grant,
            ),
            metadata=metadata,
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_privacy_officer_finds_every_processing_of_the_citizen(citizen: Citizen) -> None:
    from stadskamer.api.audit.v1 import audit_pb2, audit_pb2_grpc

    citizen.grant()
    citizen.history("kcc")
    records_settled(citizen.stack.data_dir)  # contacts relays its records a moment later
    officer = citizen.stack.token("privacy-1", [], ["privacy-officer"])
    request = audit_pb2.ListProcessingRequest(
        filter=audit_pb2.ProcessingFilter(subject_polymorphic=citizen.subject),
        page_size=500,
        query_purpose=audit_pb2.QUERY_PURPOSE_SUBJECT_ACCESS,
    )
    response = audit_pb2_grpc.ProcessingLogServiceStub(citizen.stack.channel).ListProcessing(
        request, metadata=citizen.metadata(officer)
    )
    names = {record.record.name for record in response.records}
    assert {
        "contacts.register",
        "consent.grant",
        "link-grant.issue",
        "pseudonyms.transcrypt",
        "contacts.read",
        "history.read",
    } <= names
    subjects = {bytes(record.subject) for record in response.records}
    assert len(subjects) == 1 and len(subjects.pop()) == 32
    reads = {r.record.target_domain for r in response.records if r.record.name == "contacts.read"}
    assert {"burgerzaken", "sociale-zaken"} <= reads


def test_an_unreachable_consent_service_makes_the_history_unavailable(citizen: Citizen) -> None:
    import socket

    from stadskamer.cli.embedded import embedded_server_settings
    from stadskamer.common.processing_log_settings import ProcessingLogSettings
    from stadskamer.gateway.history.bootstrap import create_server
    from stadskamer.gateway.history.settings import HistorySettings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    stack = citizen.stack
    settings = HistorySettings(
        server=embedded_server_settings(stack.data_dir, "127.0.0.1", 0),
        pseudonyms_address=stack.address,
        consent_address=closed,
        contacts_address=stack.address,
        complaints_address=stack.address,
        processing_log=ProcessingLogSettings("history", local_dir=stack.data_dir / "local-log"),
    )
    running, port = create_server(settings)
    running.server.start()
    try:
        token = stack.token("kcc-agent", ["kcc"], ["agent"])
        request = history_pb2.GetHistoryRequest(
            subject=citizen.subject, requester_domain="kcc", purpose=PURPOSE
        )
        with (
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
            pytest.raises(grpc.RpcError) as raised,
        ):
            history_pb2_grpc.HistoryServiceStub(channel).GetHistory(
                request, metadata=citizen.metadata(token)
            )
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert not (stack.data_dir / "local-log" / "history.jsonl").exists()
    finally:
        running.stop(1.0)
