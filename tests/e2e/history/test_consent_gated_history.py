"""The consent-gated history through real servers: contacts, consent, pseudonyms, history."""

from __future__ import annotations

import grpc
import pytest

from stadskamer.api.audit.v1 import audit_pb2
from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from stadskamer.api.history.v1 import history_pb2, history_pb2_grpc
from stadskamer.client import PseudonymClient
from tests.e2e.history.support import DOMAINS, PURPOSE, Citizen


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
        subject=citizen.subject("burgerzaken"), requester_domain="burgerzaken", purpose=PURPOSE
    )
    with pytest.raises(grpc.RpcError) as raised:
        history_pb2_grpc.HistoryServiceStub(citizen.stack.channel).GetHistory(
            request, metadata=citizen.metadata(token)
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_subject_is_a_pseudonym_of_the_requester_and_its_claim_is_spent(
    citizen: Citizen,
) -> None:
    token = citizen.stack.token("kcc-agent", ["kcc"], ["agent"])
    stub = history_pb2_grpc.HistoryServiceStub(citizen.stack.channel)
    for subject, code in (
        (citizen.subject("burgerzaken"), grpc.StatusCode.INVALID_ARGUMENT),
        (citizen.subject("kcc")[2:98], grpc.StatusCode.INVALID_ARGUMENT),
    ):
        request = history_pb2.GetHistoryRequest(
            subject=subject, requester_domain="kcc", purpose=PURPOSE
        )
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetHistory(request, metadata=citizen.metadata(token))
        assert refused.value.code() == code
    once = history_pb2.GetHistoryRequest(
        subject=citizen.subject("kcc"), requester_domain="kcc", purpose=PURPOSE
    )
    assert {item.domain for item in stub.GetHistory(once, metadata=citizen.metadata(token)).items}
    with pytest.raises(grpc.RpcError) as again:
        stub.GetHistory(once, metadata=citizen.metadata(token))
    assert again.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_link_grant_reads_only_its_own_target_domain(citizen: Citizen) -> None:
    citizen.grant()
    token = citizen.stack.token("kcc-agent", ["kcc"], ["agent"])
    metadata = citizen.metadata(token)
    subject = citizen.subject("kcc")
    grant = consent_pb2_grpc.ConsentServiceStub(citizen.stack.channel).IssueLinkGrant(
        consent_pb2.IssueLinkGrantRequest(
            subject=subject,
            purpose=PURPOSE,
            requester_domain="kcc",
            target_domain="burgerzaken",
        ),
        metadata=metadata,
    )
    converted = PseudonymClient(citizen.stack.channel, token).convert(
        subject, "burgerzaken", grant.link_grant
    )
    contacts = contacts_pb2_grpc.ContactsServiceStub(citizen.stack.channel)
    with pytest.raises(grpc.RpcError) as raised:
        contacts.ListContacts(
            contacts_pb2.ListContactsRequest(
                domain="sociale-zaken",
                encrypted_subject=converted,
                link_grant=grant.link_grant,
            ),
            metadata=metadata,
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_privacy_officer_finds_every_grant_issued_converted_and_read(
    citizen: Citizen,
) -> None:
    citizen.grant()
    citizen.history("kcc")
    records = [r for r in citizen.processing() if r.status == audit_pb2.PROCESSING_STATUS_OK]
    assert {
        "pseudonyms.issue",
        "contacts.register",
        "consent.grant",
        "link-grant.issue",
        "pseudonyms.transcrypt",
        "contacts.read",
    } <= {record.name for record in records}
    kcc = [r for r in records if r.requester_domain == "kcc"]  # surveys' push grants aside
    for domain in ("burgerzaken", "sociale-zaken", "belastingen"):
        grants = {
            name: {r.reference for r in kcc if r.name == name and r.target_domain == domain}
            for name in ("link-grant.issue", "pseudonyms.transcrypt", "contacts.read")
        }
        (grant,) = grants["link-grant.issue"]
        assert grants == {name: {grant} for name in grants}, domain
    own = [r for r in records if r.name == "contacts.read" and r.target_domain == "kcc"]
    assert len(own) == 1


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
            subject=citizen.subject("kcc"), requester_domain="kcc", purpose=PURPOSE
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
