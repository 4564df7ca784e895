"""Summaries are sealed per domain and bound to their contact."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from stadskamer.contacts.summaries import SummaryCipher, summary_key

KEYS = {"kcc": b"\x11" * 32, "burgerzaken": b"\x22" * 32}
TEXT = "Mevrouw belde over de energietoeslag van haar moeder."


def test_a_sealed_summary_opens_for_its_contact_only() -> None:
    cipher = SummaryCipher(KEYS)
    sealed = cipher.seal("kcc", "contact-1", TEXT)
    assert TEXT.encode() not in sealed
    assert cipher.open("kcc", "contact-1", sealed) == TEXT
    with pytest.raises(InvalidTag):
        cipher.open("kcc", "contact-2", sealed)
    with pytest.raises(InvalidTag):
        cipher.open("burgerzaken", "contact-1", sealed)


def test_sealing_is_randomised() -> None:
    cipher = SummaryCipher(KEYS)
    assert cipher.seal("kcc", "c", TEXT) != cipher.seal("kcc", "c", TEXT)


def test_each_domain_has_its_own_key() -> None:
    assert summary_key(KEYS["kcc"]) != summary_key(KEYS["burgerzaken"])
    assert len(summary_key(KEYS["kcc"])) == 32
