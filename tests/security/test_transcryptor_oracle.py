"""Attacks: the transcryptor as an oracle, and the BSN dictionary (issue 14).

**Transcryptor oracle.** Two domain services, kcc and sociale-zaken, pool what they hold: each
its own service token, its own domain key (GetDomainKey) and its own database, where it keeps
the domain pseudonyms ``P_d = s_d·M`` of its citizens (here decrypted from its own claims, as
a service stores them). Each encrypts the *other's* ``P`` under the master key ``Y`` as if it
were a citizen point and asks the transcryptor for its *own* domain (no grant needed there):
before issue 14 this gave ``s_kcc·P_sz == s_sz·P_kcc`` and joined the two stores. They send it
raw (the old polymorphic and encrypted forms), wrapped in a tag they make and sign with an
Ed25519 key of their own (under their own key id, and under the pseudonym service's key id),
and to the consent service, which converts into its domain for anyone with a tagged subject.
Every attempt must be INVALID_ARGUMENT, and nothing comes back that either side could match.

**Exact bytes.** The same services re-randomize a genuine tagged pseudonym of their own
domain (same plaintext, same tag, fresh ciphertext): refused, while the exact bytes issued
still claim.

**BSN dictionary.** A service token cannot turn BSNs into pseudonyms at all; a token with
role ``issuer`` issuing consecutive BSNs meets RESOURCE_EXHAUSTED at the per-hour limit, and
the privacy officer finds every issued citizen in the processing log.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stadskamer import pep
from stadskamer.api.audit.v1 import audit_pb2, audit_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2 as cpb
from stadskamer.api.consent.v1 import consent_pb2_grpc as cpb_grpc
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, PseudonymClient, decrypt_pseudonym
from stadskamer.common.errors import ResourceExhausted
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind, TaggedPseudonym
from tests.support.stack import Stack

BSNS = ["111222333", "123456782", "012345672", "353454709"]
DOMAINS = ("kcc", "sociale-zaken")
PER_HOUR = 600  # the default per-hour issuance limit of an actor without role system
TAG_REFUSALS = {"UNTAGGED_PSEUDONYM", "TAG_KEY_UNKNOWN", "TAG_INVALID"}
# The untagged forms are refused by the request's validator already, naming the field.
UNTAGGED = {"INVALID_FIELD", "UNTAGGED_PSEUDONYM"}


@dataclass
class DomainService:
    """What one colluding domain service holds: its token, its key and its stored pseudonyms."""

    domain: str
    token: str
    key: DomainKey
    stored: list[bytes]  # P_d of each citizen, in BSNS order, as its database keeps them

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)


def _reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def _services(stack: Stack) -> dict[str, DomainService]:
    """Both domains with the citizens registered as their own services would have them."""
    desk = stack.token("desk-1", list(DOMAINS), ["agent", "issuer"])
    issued = PseudonymClient(stack.channel, desk).issue(BSNS, DOMAINS, "contact-registration")
    services = {}
    for index, domain in enumerate(DOMAINS):
        token = stack.token(f"{domain}-service", [domain], ["service"])
        client = PseudonymClient(stack.channel, token)
        key = client.domain_key(domain)
        claims = client.claim_many([(answer[index], domain) for answer in issued if answer])
        stored = [decrypt_pseudonym(claim.reference, key) for claim in claims]
        services[domain] = DomainService(domain, token, key, stored)
    return services


def _self_made(kind: Kind, ciphertext: bytes, audience: str, key_id: str | None = None) -> bytes:
    """A tag in the documented wire form, signed with the attacker's own Ed25519 key."""
    attacker = Ed25519PrivateKey.generate()
    made = tags.sign(
        attacker,
        kind,
        ciphertext,
        audience=audience,
        not_after=datetime.now(UTC) + timedelta(minutes=5),
        key_version="v1",
    )
    if key_id is not None:
        made = replace(made, key_id=key_id)
        made = replace(made, signature=attacker.sign(made.message()))
    return made.to_bytes()


def _attempts(
    own: DomainService, other_pseudonym: bytes, master: bytes, genuine_key_id: str
) -> list[tuple[pb.TranscryptRequest, set[str]]]:
    """Every way the attacker can present ``other_pseudonym`` for its own domain, with the
    refusal reasons expected for it."""
    under_master = pep.encrypt(other_pseudonym, master).to_bytes()
    under_own = pep.encrypt(other_pseudonym, own.key.public_key).to_bytes()
    target = own.domain
    attempts = [
        (pb.TranscryptRequest(polymorphic_pseudonym=under_master), UNTAGGED),
        (pb.TranscryptRequest(encrypted_pseudonym=under_own, source_domain=target), UNTAGGED),
    ]
    for kind, ciphertext, audience in (
        (Kind.POLYMORPHIC, under_master, ""),
        (Kind.ENCRYPTED, under_own, target),
        (Kind.REFERENCE, under_own, target),
    ):
        for key_id, reason in ((None, "TAG_KEY_UNKNOWN"), (genuine_key_id, "TAG_INVALID")):
            made = _self_made(kind, ciphertext, audience, key_id)
            attempts.append((pb.TranscryptRequest(tagged_pseudonym=made), {reason}))
    for request, _ in attempts:
        request.target_domain = target
    return attempts


def test_two_domains_pooling_their_stores_and_keys_get_nothing_from_the_transcryptor(
    stack: Stack,
) -> None:
    services = _services(stack)
    stub = pb_grpc.PseudonymServiceStub(stack.channel)
    public = stub.GetPublicKey(pb.GetPublicKeyRequest(), metadata=services["kcc"].metadata)
    genuine_key_id = public.tag_keys[0].key_id
    obtained: dict[str, set[bytes]] = {domain: set() for domain in DOMAINS}
    for own, other in (("kcc", "sociale-zaken"), ("sociale-zaken", "kcc")):
        attacker = services[own]
        for pseudonym in services[other].stored:
            attempts = _attempts(attacker, pseudonym, public.public_key, genuine_key_id)
            for request, reasons in attempts:
                try:
                    answer = stub.Transcrypt(request, metadata=attacker.metadata, timeout=5)
                except grpc.RpcError as refused:
                    assert refused.code() is grpc.StatusCode.INVALID_ARGUMENT
                    assert _reason(refused) in reasons
                    continue
                obtained[own].add(decrypt_pseudonym(answer.tagged_pseudonym, attacker.key))
    assert obtained == {"kcc": set(), "sociale-zaken": set()}
    assert not set(services["kcc"].stored) & set(services["sociale-zaken"].stored)


def test_a_self_made_tag_does_not_open_the_consent_services_conversion(stack: Stack) -> None:
    services = _services(stack)
    attacker = services["kcc"]
    consent = cpb_grpc.ConsentServiceStub(stack.channel)
    agent = (("authorization", f"Bearer {stack.token('agent-1', ['kcc'], ['agent'])}"),)
    pseudonym = services["sociale-zaken"].stored[0]
    made = _self_made(
        Kind.ENCRYPTED, pep.encrypt(pseudonym, attacker.key.public_key).to_bytes(), "kcc"
    )
    request = cpb.CheckConsentRequest(
        subject=made,
        purpose="integrated-contact-history",
        requester_domain="kcc",
        target_domain="sociale-zaken",
    )
    with pytest.raises(grpc.RpcError) as refused:
        consent.CheckConsent(request, metadata=agent, timeout=5)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert _reason(refused.value) in TAG_REFUSALS


def _rerandomized(raw: bytes) -> bytes:
    """The same tagged pseudonym with its ciphertext re-randomized (plaintext unchanged)."""
    tagged: TaggedPseudonym = tags.parse(raw)
    fresh = pep.rerandomize(tagged.parsed_ciphertext()).to_bytes()
    return replace(tagged, ciphertext=fresh).to_bytes()


def test_a_rerandomized_copy_of_a_genuine_tagged_pseudonym_is_refused(stack: Stack) -> None:
    desk = stack.token("desk-1", list(DOMAINS), ["agent", "issuer"])
    agent = (("authorization", f"Bearer {stack.token('agent-1', ['kcc'], ['agent'])}"),)
    consent = cpb_grpc.ConsentServiceStub(stack.channel)
    stub = pb_grpc.PseudonymServiceStub(stack.channel)
    for domain in DOMAINS:
        genuine = PseudonymClient(stack.channel, desk).issue_one(BSNS[0], domain, "kcc-contact")
        copy = _rerandomized(genuine)
        assert copy != genuine and tags.parse(copy).message() != tags.parse(genuine).message()
        service = (
            ("authorization", f"Bearer {stack.token(f'{domain}-service', [domain], ['service'])}"),
        )
        with pytest.raises(grpc.RpcError) as refused:
            stub.Transcrypt(
                pb.TranscryptRequest(tagged_pseudonym=copy, target_domain=domain),
                metadata=service,
                timeout=5,
            )
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert _reason(refused.value) == "TAG_INVALID"
        if domain == "kcc":
            check = cpb.CheckConsentRequest(
                subject=copy,
                purpose="integrated-contact-history",
                requester_domain="kcc",
                target_domain="burgerzaken",
            )
            with pytest.raises(grpc.RpcError) as at_consent:
                consent.CheckConsent(check, metadata=agent, timeout=5)
            assert at_consent.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        exact = pb.TranscryptRequest(tagged_pseudonym=genuine, target_domain=domain)
        assert stub.Transcrypt(exact, metadata=service, timeout=5).tagged_pseudonym


def consecutive_bsns(count: int, start: int = 10_000_000) -> list[str]:
    """``count`` consecutive BSNs that pass the 11-check, as a dictionary attack walks them."""
    found: list[str] = []
    number = start
    while len(found) < count:
        number += 1
        first = f"{number:08d}"
        check = sum(w * int(d) for w, d in zip(range(9, 1, -1), first, strict=True)) % 11
        if check <= 9:
            found.append(first + str(check))
    return found


def _wait_for_a_whole_hour_ahead() -> None:
    """The limit counts per clock hour: do not start the walk in the hour's last seconds."""
    now = datetime.now(UTC)
    left = 3600 - (now.minute * 60 + now.second)
    if left < 30:
        time.sleep(left + 1)


def test_a_bsn_dictionary_meets_the_issuance_limit_and_every_issuance_is_on_record(
    stack: Stack,
) -> None:
    service = stack.token("kcc-service", ["kcc"], ["service"])
    with pytest.raises(grpc.RpcError) as not_an_issuer:
        pb_grpc.PseudonymServiceStub(stack.channel).IssuePolymorphicPseudonyms(
            pb.IssuePolymorphicPseudonymsRequest(bsns=BSNS, audiences=["kcc"], purpose="lookup"),
            metadata=(("authorization", f"Bearer {service}"),),
            timeout=5,
        )
    assert not_an_issuer.value.code() is grpc.StatusCode.PERMISSION_DENIED

    _wait_for_a_whole_hour_ahead()
    walker = PseudonymClient(stack.channel, stack.token("dictionary", ["kcc"], ["issuer"]))
    dictionary = consecutive_bsns(PER_HOUR + 100)
    issued = 0
    with pytest.raises(ResourceExhausted) as stopped:
        for offset in range(0, len(dictionary), 100):
            answers = walker.issue(dictionary[offset : offset + 100], ["kcc"], "lookup")
            issued += sum(1 for answer in answers if answer)
    assert stopped.value.reason == "ISSUANCE_LIMIT" and issued == PER_HOUR

    officer = (("authorization", f"Bearer {stack.token('privacy-1', [], ['privacy-officer'])}"),)
    listing = audit_pb2.ListProcessingRequest(
        filter=audit_pb2.ProcessingFilter(actor="dictionary", purpose="lookup"),
        page_size=1000,
        query_purpose=audit_pb2.QUERY_PURPOSE_SUPERVISION,
    )
    records = audit_pb2_grpc.ProcessingLogServiceStub(stack.channel).ListProcessing(
        listing, metadata=officer, timeout=30
    )
    issuances = [r.record for r in records.records if r.record.name == "pseudonyms.issue"]
    assert len(issuances) == PER_HOUR
    assert {r.target_domain for r in issuances} == {"kcc"} and not records.next_page_token
