"""Attack: an encryption of the neutral element, made from public values, as a pseudonym.

The attacker holds a valid token and nothing else. From the public key of GetPublicKey (or a
domain's public key from ListDomains) and a scalar of its own it builds ``(r·G, r·Y, Y)``, an
encryption of the group's neutral element: every point is valid and none is all zeros, so it
parses; converted, it is the pseudonym 00…00 of no one, in every domain. The pseudonym
service must refuse it (it holds ``y`` and the domain keys), and the contacts service must
answer INVALID_ARGUMENT naming the subject and write nothing.
"""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.contacts.v1 import contacts_pb2 as cpb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.pep import group
from tests.e2e.contacts.conftest import Caller, ago, caller, violations
from tests.support.stack import Stack

BSN = "111222333"


def neutral_encryption(public_key: bytes) -> bytes:
    """``Enc_Y(0) = (r·G, r·Y, Y)`` for a random ``r``: 96 bytes, all three points valid."""
    r = group.random_scalar()
    return group.base_mul(r) + group.point_mul(r, public_key) + public_key


def _reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def _stub(stack: Stack) -> pb_grpc.PseudonymServiceStub:
    return pb_grpc.PseudonymServiceStub(stack.channel)


def _metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def _master_key(stack: Stack) -> bytes:
    metadata = _metadata(stack.token("attacker", ["kcc"], ["agent"]))
    response = _stub(stack).GetPublicKey(pb.GetPublicKeyRequest(), metadata=metadata, timeout=5)
    return bytes(response.public_key)


def _domain_key(stack: Stack, name: str) -> bytes:
    metadata = _metadata(stack.token("attacker", ["kcc"], ["agent"]))
    response = _stub(stack).ListDomains(pb.ListDomainsRequest(), metadata=metadata, timeout=5)
    return next(bytes(d.public_key) for d in response.domains if d.name == name)


def _refusal(call: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_transcrypt_refuses_an_encrypted_neutral_element_as_polymorphic_pseudonym(
    stack: Stack,
) -> None:
    metadata = _metadata(stack.token("attacker", ["kcc"], ["agent"]))
    poison = neutral_encryption(_master_key(stack))
    request = pb.TranscryptRequest(polymorphic_pseudonym=poison, target_domain="kcc")
    error = _refusal(lambda: _stub(stack).Transcrypt(request, metadata=metadata, timeout=5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["polymorphic_pseudonym"]
    assert _reason(error) == "IDENTITY_PSEUDONYM"


def test_batch_transcrypt_names_the_poisoned_item(stack: Stack) -> None:
    token = stack.token("attacker", ["kcc"], ["agent"])
    master = _master_key(stack)
    honest = group.identity_point(BSN)
    r = group.random_scalar()
    fair = group.base_mul(r) + group.point_add(honest, group.point_mul(r, master)) + master
    batch = pb.BatchTranscryptRequest(
        requests=[
            pb.TranscryptRequest(polymorphic_pseudonym=p, target_domain="kcc")
            for p in (fair, neutral_encryption(master), fair)
        ]
    )
    error = _refusal(
        lambda: _stub(stack).BatchTranscrypt(batch, metadata=_metadata(token), timeout=5)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["requests[1].polymorphic_pseudonym"]


def test_transcrypt_refuses_an_encrypted_neutral_element_as_encrypted_pseudonym(
    stack: Stack,
) -> None:
    metadata = _metadata(stack.token("attacker", ["kcc"], ["agent"]))
    poison = neutral_encryption(_domain_key(stack, "kcc"))
    request = pb.TranscryptRequest(
        encrypted_pseudonym=poison, source_domain="kcc", target_domain="kcc"
    )
    error = _refusal(lambda: _stub(stack).Transcrypt(request, metadata=metadata, timeout=5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["encrypted_pseudonym"]
    assert _reason(error) == "IDENTITY_PSEUDONYM"


def _everyone(stack: Stack) -> Caller:
    return caller(stack, ["kcc", "burgerzaken"], ["system"], "auditor")


def test_register_contact_with_the_poison_is_invalid_argument_and_writes_nothing(
    stack: Stack,
) -> None:
    attacker = caller(stack, ["kcc"], ["agent"], "attacker")
    attacker.register(request_id="fair", domain="kcc", subject=attacker.subject(BSN))
    before = len(_everyone(stack).all_contacts())
    poison = neutral_encryption(_master_key(stack))
    error = _refusal(lambda: attacker.register(request_id="p1", domain="kcc", subject=poison))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["subject"]
    assert len(_everyone(stack).all_contacts()) == before


def test_a_batch_with_the_poison_names_its_item_and_writes_nothing(stack: Stack) -> None:
    attacker = caller(stack, ["kcc"], ["agent"], "attacker")
    poison = neutral_encryption(_master_key(stack))
    items = [
        cpb.RegisterContactRequest(
            request_id=f"b{i}",
            domain="kcc",
            subject=poison if i == 2 else attacker.subject(BSN),
            channel=channel_pb2.CHANNEL_PHONE,
            topic="afval",
            org_unit="kcc-telefonie",
            occurred_at=ago(hours=1),
        )
        for i in range(4)
    ]
    request = cpb.BatchRegisterContactsRequest(requests=items)
    error = _refusal(
        lambda: attacker.stub.BatchRegisterContacts(request, metadata=attacker.metadata)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["requests[2].subject"]
    assert _everyone(stack).all_contacts() == []


def test_list_contacts_refuses_the_poison_as_encrypted_subject(stack: Stack) -> None:
    attacker = caller(stack, ["kcc"], ["agent"], "attacker")
    attacker.register(request_id="fair", domain="kcc", subject=attacker.subject(BSN))
    poison = neutral_encryption(_domain_key(stack, "kcc"))
    error = _refusal(lambda: attacker.all_contacts(domain="kcc", encrypted_subject=poison))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["encrypted_subject"]
    assert _reason(error) == "IDENTITY_PSEUDONYM"
