"""Attack: an encryption of the neutral element, made from public values, as a citizen's subject.

The attacker holds a valid token and nothing else. From the public key of GetPublicKey (or a
domain's public key from ListDomains) and a scalar of its own it builds ``(r·G, r·Y, Y)``, an
encryption of the group's neutral element: every point is valid and none is all zeros, so it
parses; converted, it would be the pseudonym 00…00 of no one, in every domain. Pseudonyms are
issued, never self-made: the attacker sends the poison bare (untagged) and wrapped in a tag it
signed itself, under its own key id and under the pseudonym service's (public) key id. The
pseudonym service and the contacts service must answer INVALID_ARGUMENT naming the field and
write nothing. (That the transcryptor also refuses the poison inside a genuine tag, signed with
the service's own tag key, is tests/integration/pseudonyms/test_neutral_in_a_genuine_tag.py.)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.contacts.v1 import contacts_pb2 as cpb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.pep import group, tags
from tests.e2e.contacts.conftest import Caller, ago, caller, violations
from tests.support.stack import Stack

BSN = "111222333"


def neutral_encryption(public_key: bytes) -> bytes:
    """``Enc_Y(0) = (r·G, r·Y, Y)`` for a random ``r``: 96 bytes, all three points valid."""
    r = group.random_scalar()
    return group.base_mul(r) + group.point_mul(r, public_key) + public_key


def self_tagged(poison: bytes, audience: str, key_id: str = "") -> bytes:
    """``poison`` in a tag the attacker signs with its own key; under ``key_id`` when given
    (the pseudonym service's key id, read from any tagged pseudonym it handed out)."""
    key = Ed25519PrivateKey.generate()
    tagged = tags.sign(
        key,
        tags.Kind.ENCRYPTED,
        poison,
        audience=audience,
        not_after=datetime.now(UTC) + timedelta(minutes=5),
        key_version="v1",
    )
    if key_id:
        forged = replace(tagged, key_id=key_id, signature=b"")
        tagged = replace(forged, signature=key.sign(forged.message()))
    return tagged.to_bytes()


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


def _poisons(stack: Stack, attacker: Caller) -> dict[str, bytes]:
    """Every form of the poison the attacker can make for kcc."""
    service_key_id = tags.parse(attacker.subject(BSN)).key_id
    return {
        "bare Enc_Y(0)": neutral_encryption(_master_key(stack)),
        "bare Enc_kcc(0)": neutral_encryption(_domain_key(stack, "kcc")),
        "self-signed": self_tagged(neutral_encryption(_domain_key(stack, "kcc")), "kcc"),
        "forged key id": self_tagged(
            neutral_encryption(_domain_key(stack, "kcc")), "kcc", service_key_id
        ),
    }


def _refusal(call: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_transcrypt_refuses_a_bare_encrypted_neutral_element_as_polymorphic_pseudonym(
    stack: Stack,
) -> None:
    metadata = _metadata(stack.token("attacker", ["kcc"], ["agent"]))
    poison = neutral_encryption(_master_key(stack))
    request = pb.TranscryptRequest(polymorphic_pseudonym=poison, target_domain="kcc")
    error = _refusal(lambda: _stub(stack).Transcrypt(request, metadata=metadata, timeout=5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["polymorphic_pseudonym"]


def test_transcrypt_refuses_a_bare_encrypted_neutral_element_as_encrypted_pseudonym(
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


@pytest.mark.parametrize(("key_id", "reason"), [(False, "TAG_KEY_UNKNOWN"), (True, "TAG_INVALID")])
def test_transcrypt_refuses_the_poison_in_a_self_signed_tag(
    stack: Stack, key_id: bool, reason: str
) -> None:
    attacker = caller(stack, ["kcc"], ["service"], "attacker")
    service_key_id = tags.parse(attacker.subject(BSN)).key_id if key_id else ""
    poison = self_tagged(neutral_encryption(_domain_key(stack, "kcc")), "kcc", service_key_id)
    request = pb.TranscryptRequest(tagged_pseudonym=poison, target_domain="kcc")
    error = _refusal(
        lambda: _stub(stack).Transcrypt(request, metadata=attacker.metadata, timeout=5)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["tagged_pseudonym"]
    assert _reason(error) == reason


def test_batch_transcrypt_names_the_poisoned_item(stack: Stack) -> None:
    attacker = caller(stack, ["kcc"], ["service"], "attacker")
    fair = [attacker.subject(BSN), attacker.subject(BSN)]
    poison = self_tagged(neutral_encryption(_domain_key(stack, "kcc")), "kcc")
    batch = pb.BatchTranscryptRequest(
        requests=[
            pb.TranscryptRequest(tagged_pseudonym=p, target_domain="kcc")
            for p in (fair[0], poison, fair[1])
        ]
    )
    error = _refusal(
        lambda: _stub(stack).BatchTranscrypt(batch, metadata=attacker.metadata, timeout=5)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == ["requests[1].tagged_pseudonym"]
    # Nothing was spent: the fair items of the refused batch still convert.
    again = pb.BatchTranscryptRequest(
        requests=[pb.TranscryptRequest(tagged_pseudonym=p, target_domain="kcc") for p in fair]
    )
    answer = _stub(stack).BatchTranscrypt(again, metadata=attacker.metadata, timeout=5)
    assert len(answer.responses) == 2


def _everyone(stack: Stack) -> Caller:
    return caller(stack, ["kcc", "burgerzaken"], ["system"], "auditor")


def test_register_contact_with_the_poison_is_invalid_argument_and_writes_nothing(
    stack: Stack,
) -> None:
    attacker = caller(stack, ["kcc"], ["agent"], "attacker")
    attacker.register(request_id="fair", domain="kcc", subject=attacker.subject(BSN))
    before = len(_everyone(stack).all_contacts())
    for n, (form, poison) in enumerate(_poisons(stack, attacker).items()):
        error = _refusal(
            lambda p=poison, n=n: attacker.register(request_id=f"p{n}", domain="kcc", subject=p)
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, form
        assert violations(error) == ["subject"], form
    assert len(_everyone(stack).all_contacts()) == before


def test_a_batch_with_the_poison_names_its_item_and_writes_nothing(stack: Stack) -> None:
    attacker = caller(stack, ["kcc"], ["agent"], "attacker")
    for form, poison in _poisons(stack, attacker).items():
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
            lambda r=request: attacker.stub.BatchRegisterContacts(r, metadata=attacker.metadata)
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, form
        assert violations(error) == ["requests[2].subject"], form
    assert _everyone(stack).all_contacts() == []


def test_list_contacts_refuses_the_poison_as_subject(stack: Stack) -> None:
    attacker = caller(stack, ["kcc"], ["agent"], "attacker")
    attacker.register(request_id="fair", domain="kcc", subject=attacker.subject(BSN))
    for form, poison in _poisons(stack, attacker).items():
        error = _refusal(lambda p=poison: attacker.all_contacts(domain="kcc", subject=p))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, form
        assert violations(error) == ["subject"], form
