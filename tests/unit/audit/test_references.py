"""References are kept keyed per domain; counts as they are; a given id finds its records."""

from __future__ import annotations

from datetime import UTC, datetime

from stadskamer import pep
from stadskamer.audit.domain import ProcessingEntry, Status
from stadskamer.audit.references import ReferenceKeys, key_domain

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _entry(requester: str, target: str) -> ProcessingEntry:
    return ProcessingEntry(
        "a" * 32,
        bytes(16),
        bytes(8),
        b"",
        "contacts.read",
        NOW,
        NOW,
        Status.OK,
        requester_domain=requester,
        target_domain=target,
    )


def test_an_identifier_is_kept_keyed_per_domain_and_a_count_as_it_is() -> None:
    keys = ReferenceKeys(pep.random_scalar())
    kept = keys.kept("contacts/7f3a", "kcc")
    assert kept.startswith("keyed:") and len(kept) == 6 + 64 and "7f3a" not in kept
    assert keys.kept("contacts/7f3a", "kcc") == kept
    assert keys.kept("contacts/7f3a", "klachten") != kept
    assert ReferenceKeys(pep.random_scalar()).kept("contacts/7f3a", "kcc") != kept
    assert keys.kept("206", "kcc") == "206" and keys.kept("", "kcc") == ""
    assert keys.kept("²", "kcc").startswith("keyed:")
    assert keys.kept("citizens=3", "kcc") == "citizens=3"
    assert keys.kept("citizens=3a", "kcc").startswith("keyed:")


def test_a_given_reference_is_keyed_for_every_domain_of_the_log() -> None:
    keys = ReferenceKeys(pep.random_scalar())
    forms = keys.forms("consents/c-1", {"kcc", "consent", ""})
    assert keys.kept("consents/c-1", "consent") in forms and len(forms) == 3


def test_the_key_domain_is_the_target_domain_else_the_requester_domain() -> None:
    assert key_domain(_entry("onderzoek", "kcc")) == "kcc"
    assert key_domain(_entry("onderzoek", "")) == "onderzoek"
    assert key_domain(_entry("", "")) == ""
