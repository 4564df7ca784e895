"""Property tests of the scheme: determinism, separation, conversion, rerandomization, refusals."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadskamer import pep
from stadskamer.client.pseudonyms import DomainKey
from stadskamer.common.errors import InvalidArgument
from stadskamer.pseudonyms.domain import Secrets, Transcryptor, parse_ciphertext
from tests.unit.pseudonyms.bsns import valid_bsns
from tests.unit.pseudonyms.raw_scheme import (
    decrypt_pseudonym,
    encrypt_pseudonym,
    make_polymorphic_pseudonym,
)

TRANSCRYPTOR = Transcryptor(
    Secrets(pep.random_scalar(), os.urandom(32), os.urandom(32)),
    ["kcc", "burgerzaken", "sociale-zaken"],
)
Y = TRANSCRYPTOR.master_public_key
KEYS = {
    d.name: DomainKey(d.name, "v1", *TRANSCRYPTOR.domain_secret_key(d.name))
    for d in TRANSCRYPTOR.domains
}
domains = st.sampled_from(sorted(KEYS))


def domain_pseudonym(bsn: str, domain: str) -> bytes:
    """P_d of a BSN through a fresh polymorphic pseudonym."""
    pp = pep.Ciphertext.from_bytes(make_polymorphic_pseudonym(bsn, Y))
    return decrypt_pseudonym(TRANSCRYPTOR.from_polymorphic(pp, domain).to_bytes(), KEYS[domain])


@settings(max_examples=25, deadline=None)
@given(valid_bsns(), domains)
def test_determinism_two_polymorphic_pseudonyms_give_one_domain_pseudonym(
    bsn: str, domain: str
) -> None:
    first = make_polymorphic_pseudonym(bsn, Y)
    second = make_polymorphic_pseudonym(bsn, Y)
    assert first != second
    assert domain_pseudonym(bsn, domain) == domain_pseudonym(bsn, domain)


@settings(max_examples=25, deadline=None)
@given(valid_bsns(), domains, domains)
def test_separation_domains_get_different_pseudonyms(bsn: str, a: str, b: str) -> None:
    if a != b:
        assert domain_pseudonym(bsn, a) != domain_pseudonym(bsn, b)


@settings(max_examples=25, deadline=None)
@given(valid_bsns(), domains, domains)
def test_a_domain_key_cannot_decrypt_another_domains_pseudonym(bsn: str, a: str, b: str) -> None:
    if a == b:
        return
    pp = pep.Ciphertext.from_bytes(make_polymorphic_pseudonym(bsn, Y))
    for_b = TRANSCRYPTOR.from_polymorphic(pp, b)
    with pytest.raises(pep.InvalidEncodingError):
        decrypt_pseudonym(for_b.to_bytes(), KEYS[a])
    forced = pep.decrypt(for_b, KEYS[a].secret_key)
    assert forced not in {domain_pseudonym(bsn, a), domain_pseudonym(bsn, b)}


@settings(max_examples=25, deadline=None)
@given(valid_bsns(), domains, domains)
def test_conversion_lands_on_the_target_domain_pseudonym(bsn: str, a: str, b: str) -> None:
    p_a = domain_pseudonym(bsn, a)
    encrypted = pep.Ciphertext.from_bytes(encrypt_pseudonym(p_a, KEYS[a]))
    converted = TRANSCRYPTOR.between_domains(encrypted, a, b)
    assert decrypt_pseudonym(converted.to_bytes(), KEYS[b]) == domain_pseudonym(bsn, b)


@settings(max_examples=25, deadline=None)
@given(valid_bsns(), domains)
def test_rerandomization_changes_every_part_but_not_the_plaintext(bsn: str, domain: str) -> None:
    pp = pep.Ciphertext.from_bytes(make_polymorphic_pseudonym(bsn, Y))
    once = TRANSCRYPTOR.from_polymorphic(pp, domain)
    again = pep.rerandomize(once)
    assert once.b != again.b and once.c != again.c
    assert once.public_key == again.public_key == KEYS[domain].public_key
    assert decrypt_pseudonym(once.to_bytes(), KEYS[domain]) == decrypt_pseudonym(
        again.to_bytes(), KEYS[domain]
    )
    twice = TRANSCRYPTOR.from_polymorphic(pp, domain)
    assert twice.b != once.b and twice.c != once.c


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=0, max_size=200))
def test_malformed_ciphertexts_are_refused_with_the_field_named(raw: bytes) -> None:
    try:
        pep.Ciphertext.from_bytes(raw)
    except pep.InvalidEncodingError:
        with pytest.raises(InvalidArgument) as raised:
            parse_ciphertext(raw, "polymorphic_pseudonym")
        assert raised.value.violations[0].field == "polymorphic_pseudonym"
    else:
        assert len(raw) == pep.CIPHERTEXT_BYTES


def test_identity_point_and_wrong_lengths_are_refused() -> None:
    valid = make_polymorphic_pseudonym("111222333", Y)
    identity = bytes(32)
    for raw in (
        valid[:95],
        valid + b"\0",
        identity + valid[32:],
        valid[:32] + identity + valid[64:],
    ):
        with pytest.raises(pep.InvalidEncodingError):
            pep.Ciphertext.from_bytes(raw)
    with pytest.raises(pep.InvalidEncodingError):
        pep.validate_scalar(bytes(32))


def test_unknown_domains_are_refused() -> None:
    pp = pep.Ciphertext.from_bytes(make_polymorphic_pseudonym("111222333", Y))
    with pytest.raises(InvalidArgument) as raised:
        TRANSCRYPTOR.from_polymorphic(pp, "nowhere")
    assert raised.value.violations[0].field == "target_domain"
