"""The implementation reproduces every value of shared/design/pseudonym-vectors.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stadskamer import pep
from stadskamer.client.pseudonyms import DomainKey
from stadskamer.pep.factors import PSEUDONYM_LABEL, REKEY_LABEL
from stadskamer.pseudonyms.domain import Secrets, Transcryptor, conversion_factors
from tests.unit.pseudonyms.raw_scheme import decrypt_pseudonym, make_polymorphic_pseudonym

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "data" / "pseudonym-vectors.json").read_text()
)
h = bytes.fromhex
CASES = VECTORS["cases"]
DOMAINS = sorted(VECTORS["domains"])


def _transcryptor() -> Transcryptor:
    secrets = Secrets(
        h(VECTORS["master_secret_y"]),
        h(VECTORS["pseudonymisation_secret_PS"]),
        h(VECTORS["rekey_secret_ES"]),
    )
    return Transcryptor(secrets, DOMAINS)


def test_master_public_key() -> None:
    assert pep.public_key(h(VECTORS["master_secret_y"])).hex() == VECTORS["master_public_Y"]


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_factors_and_keys(domain: str) -> None:
    expected = VECTORS["domains"][domain]
    s_d = pep.derive_factor(h(VECTORS["pseudonymisation_secret_PS"]), PSEUDONYM_LABEL, domain)
    k_d = pep.derive_factor(h(VECTORS["rekey_secret_ES"]), REKEY_LABEL, domain)
    y_d, public = pep.domain_key_pair(h(VECTORS["master_secret_y"]), k_d)
    assert (s_d.hex(), k_d.hex(), y_d.hex(), public.hex()) == (
        expected["s_d"],
        expected["k_d"],
        expected["y_d"],
        expected["Y_d"],
    )
    assert _transcryptor().domain_secret_key(domain) == (y_d, public)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["bsn"])
def test_identity_point_and_polymorphic_pseudonym(case: dict[str, Any]) -> None:
    assert pep.identity_point(case["bsn"]).hex() == case["identity_point_M"]
    pp = make_polymorphic_pseudonym(
        case["bsn"], h(VECTORS["master_public_Y"]), h(case["pp_random_r"])
    )
    assert pp.hex() == case["polymorphic_pseudonym"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["bsn"])
@pytest.mark.parametrize("domain", DOMAINS)
def test_rsk_rerandomize_and_decrypt(case: dict[str, Any], domain: str) -> None:
    expected = case["domains"][domain]
    factors = VECTORS["domains"][domain]
    pp = pep.Ciphertext.from_bytes(h(case["polymorphic_pseudonym"]))
    rsk = pep.rsk(pp, h(factors["s_d"]), h(factors["k_d"]))
    assert rsk.to_bytes().hex() == expected["rsk_output"]
    encrypted = pep.rerandomize(rsk, h(expected["rerandomize_r"]))
    assert encrypted.to_bytes().hex() == expected["encrypted_pseudonym"]
    through_service = _transcryptor().from_polymorphic(pp, domain, h(expected["rerandomize_r"]))
    assert through_service == encrypted
    key = DomainKey(domain, "v1", h(factors["y_d"]), h(factors["Y_d"]))
    assert decrypt_pseudonym(encrypted.to_bytes(), key).hex() == expected["domain_pseudonym"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["bsn"])
def test_conversion_kcc_to_burgerzaken(case: dict[str, Any]) -> None:
    expected = case["conversion_kcc_to_burgerzaken"]
    kcc = VECTORS["domains"]["kcc"]
    burgerzaken = VECTORS["domains"]["burgerzaken"]
    transcryptor = _transcryptor()
    n, k = conversion_factors(
        transcryptor.domain("kcc", "source_domain"),
        transcryptor.domain("burgerzaken", "target_domain"),
    )
    assert (n.hex(), k.hex()) == (expected["n"], expected["k"])
    p_kcc = h(case["domains"]["kcc"]["domain_pseudonym"])
    encrypted = pep.encrypt(p_kcc, h(kcc["Y_d"]), h(expected["enc_random_r"]))
    assert encrypted.to_bytes().hex() == expected["enc_under_Y_kcc"]
    rsk = pep.rsk(encrypted, n, k)
    assert rsk.to_bytes().hex() == expected["rsk_output"]
    converted = transcryptor.between_domains(
        encrypted, "kcc", "burgerzaken", h(expected["rerandomize_r"])
    )
    assert converted.to_bytes().hex() == expected["encrypted_pseudonym"]
    key = DomainKey("burgerzaken", "v1", h(burgerzaken["y_d"]), h(burgerzaken["Y_d"]))
    assert decrypt_pseudonym(converted.to_bytes(), key).hex() == expected["domain_pseudonym"]
    assert expected["domain_pseudonym"] == case["domains"]["burgerzaken"]["domain_pseudonym"]


@pytest.mark.parametrize("bsn", VECTORS["invalid_bsns"])
def test_invalid_bsns_are_rejected(bsn: str) -> None:
    with pytest.raises(pep.InvalidBsnError) as raised:
        make_polymorphic_pseudonym(bsn, h(VECTORS["master_public_Y"]))
    assert bsn not in str(raised.value)
