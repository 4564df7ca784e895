"""The neutral element is refused everywhere: in a ciphertext, after decryption, in conversion.

``is_valid_point`` accepts the all-zero encoding; the parser must not, in any of ``b``, ``c``
and ``Y``. An encryption of the neutral element, ``(r·G, r·Y, Y)``, has three valid points,
so it parses: the transcryptor recognises it (``c == y·b``) and every domain decrypt refuses
the neutral plaintext.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import rbcl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from stadskamer import pep
from stadskamer.client import decrypt_pseudonym as client_decrypt
from stadskamer.client import neutral_refusal
from stadskamer.client.pseudonyms import DomainKey
from stadskamer.common.errors import InvalidArgument
from stadskamer.pep import group, tags
from stadskamer.pseudonyms.domain import Secrets, Transcryptor, parse_ciphertext
from tests.unit.pseudonyms.bsns import valid_bsns
from tests.unit.pseudonyms.raw_scheme import decrypt_pseudonym, make_polymorphic_pseudonym

TRANSCRYPTOR = Transcryptor(
    Secrets(pep.random_scalar(), os.urandom(32), os.urandom(32)), ["kcc", "burgerzaken"]
)
Y = TRANSCRYPTOR.master_public_key
KEYS = {
    d.name: DomainKey(d.name, "v1", *TRANSCRYPTOR.domain_secret_key(d.name))
    for d in TRANSCRYPTOR.domains
}
NEUTRAL = bytes(32)
REASON = "IDENTITY_PSEUDONYM"

domains = st.sampled_from(sorted(KEYS))
scalars = st.binary(min_size=64, max_size=64).map(group.reduce_scalar).filter(lambda s: any(s))
points = (
    st.binary(min_size=64, max_size=64)
    .map(lambda wide: bytes(rbcl.crypto_core_ristretto255_from_hash(wide)))
    .filter(lambda point: point != NEUTRAL)  # from_hash(0…0) is the neutral element
)


def neutral_encryption(public_key: bytes, r: bytes) -> pep.Ciphertext:
    """``Enc(0) = (r·G, r·Y, Y)``, built as an attacker would, from public values."""
    return pep.Ciphertext(group.base_mul(r), group.point_mul(r, public_key), public_key)


def test_is_valid_point_accepts_the_neutral_element_and_validate_point_does_not() -> None:
    assert rbcl.crypto_core_ristretto255_is_valid_point(NEUTRAL)
    with pytest.raises(pep.InvalidEncodingError, match="neutral element"):
        pep.validate_point(NEUTRAL)


@settings(max_examples=50, deadline=None)
@given(st.lists(points, min_size=3, max_size=3), st.integers(0, 2))
def test_the_parser_refuses_the_neutral_element_in_each_position(
    parts: list[bytes], position: int
) -> None:
    wire = b"".join(parts)
    assert pep.Ciphertext.from_bytes(wire).to_bytes() == wire
    parts[position] = NEUTRAL
    poisoned = b"".join(parts)
    with pytest.raises(pep.InvalidEncodingError, match="neutral element"):
        pep.Ciphertext.from_bytes(poisoned)
    with pytest.raises(InvalidArgument) as refused:
        parse_ciphertext(poisoned, "polymorphic_pseudonym")
    assert [v.field for v in refused.value.violations] == ["polymorphic_pseudonym"]


@settings(max_examples=25, deadline=None)
@given(scalars, domains)
def test_every_domain_decrypt_refuses_the_neutral_plaintext(r: bytes, domain: str) -> None:
    key = KEYS[domain]
    poisoned = neutral_encryption(key.public_key, r)
    with pytest.raises(pep.NeutralPlaintextError):
        pep.decrypt(poisoned, key.secret_key)
    with pytest.raises(pep.NeutralPlaintextError) as refused:
        decrypt_pseudonym(poisoned.to_bytes(), key)
    assert refused.value.reason == REASON
    tagged = tags.sign(
        Ed25519PrivateKey.generate(),
        tags.Kind.ENCRYPTED,
        poisoned.to_bytes(),
        audience=domain,
        not_after=datetime.now(UTC) + timedelta(minutes=1),
        key_version="v1",
    )
    with pytest.raises(InvalidArgument) as invalid:
        client_decrypt(tagged.to_bytes(), key, "subject")
    assert invalid.value.reason == REASON and invalid.value.violations[0].field == "subject"


def test_the_neutral_refusal_names_the_field() -> None:
    refusal = neutral_refusal("subject")
    assert refusal.reason == REASON
    assert [v.field for v in refusal.violations] == ["subject"]


@settings(max_examples=25, deadline=None)
@given(scalars, domains)
def test_the_transcryptor_refuses_an_encrypted_neutral_element_as_polymorphic(
    r: bytes, target: str
) -> None:
    poisoned = pep.rerandomize(neutral_encryption(Y, r))
    with pytest.raises(InvalidArgument) as refused:
        TRANSCRYPTOR.from_polymorphic(poisoned, target)
    assert refused.value.reason == REASON
    assert [v.field for v in refused.value.violations] == ["polymorphic_pseudonym"]


@settings(max_examples=25, deadline=None)
@given(scalars, domains, domains)
def test_the_transcryptor_refuses_an_encrypted_neutral_element_of_a_domain(
    r: bytes, source: str, target: str
) -> None:
    poisoned = neutral_encryption(KEYS[source].public_key, r)
    with pytest.raises(InvalidArgument) as refused:
        TRANSCRYPTOR.between_domains(poisoned, source, target)
    assert refused.value.reason == REASON
    assert [v.field for v in refused.value.violations] == ["encrypted_pseudonym"]


@settings(max_examples=25, deadline=None)
@given(valid_bsns(), domains, domains)
def test_citizens_pseudonyms_still_convert(bsn: str, a: str, b: str) -> None:
    pp = pep.Ciphertext.from_bytes(make_polymorphic_pseudonym(bsn, Y))
    for_a = TRANSCRYPTOR.from_polymorphic(pp, a)
    for_b = TRANSCRYPTOR.between_domains(for_a, a, b)
    assert len(decrypt_pseudonym(for_b.to_bytes(), KEYS[b])) == 32
