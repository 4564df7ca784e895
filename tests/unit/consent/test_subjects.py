"""The consent service's subjects: tags checked first, converted and claimed, references named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.client import DomainKey
from stadskamer.common.errors import FailedPrecondition, InvalidArgument
from stadskamer.consent.subjects import Subjects
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind
from tests.unit.consent.fakes import (
    CONSENT_KEY,
    FakeClock,
    FakePseudonyms,
    citizen_point,
    consent_pseudonym,
    domain_key,
    subject,
    tagged,
)


@pytest.fixture
def pseudonyms() -> FakePseudonyms:
    """The pseudonym service stand-in."""
    return FakePseudonyms()


@pytest.fixture
def clock() -> FakeClock:
    """The consent service's clock."""
    return FakeClock()


@pytest.fixture
def subjects(pseudonyms: FakePseudonyms, clock: FakeClock) -> Subjects:
    """The subjects over the stand-in with the consent test key."""
    return Subjects(pseudonyms, CONSENT_KEY, clock)


def test_an_issued_pseudonym_becomes_the_consent_pseudonym_a_record_subject_and_a_reference(
    subjects: Subjects, pseudonyms: FakePseudonyms
) -> None:
    raw = subject(4, "burgerzaken")
    tag = subjects.verified(raw, ["kcc", "burgerzaken"])
    converted = subjects.converted(raw, tag)
    assert converted.pseudonym == consent_pseudonym(4)
    assert converted.use_key == tags.parse(raw).use_key()
    reference = tags.parse(converted.reference)
    assert (reference.kind, reference.audience) == (Kind.REFERENCE, "consent")
    assert tags.parse(converted.record_subject).audience == "audit/consent"
    assert pseudonyms.calls == ["convert", "claim"]


def test_the_same_person_from_two_domains_is_one_consent_pseudonym(subjects: Subjects) -> None:
    found = set()
    for audience in ("kcc", "onderzoek"):
        raw = subject(5, audience)
        found.add(subjects.converted(raw, subjects.verified(raw, [audience])).pseudonym)
    assert found == {consent_pseudonym(5)}


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: subject(1, "sociale-zaken"), "WRONG_AUDIENCE"),
        (lambda: subject(1, "kcc", Kind.POLYMORPHIC), "TAG_KIND_REFUSED"),
        (
            lambda: tagged(citizen_point(1), "kcc", key=Ed25519PrivateKey.generate()),
            "TAG_KEY_UNKNOWN",
        ),
        (lambda: tagged(citizen_point(1), "kcc", lifetime=timedelta(seconds=-1)), "TAG_EXPIRED"),
        (lambda: subject(1)[:-1], "UNTAGGED_PSEUDONYM"),
    ],
)
def test_a_subject_that_is_not_an_issued_pseudonym_of_an_allowed_audience_is_refused_first(
    subjects: Subjects, pseudonyms: FakePseudonyms, make: Callable[[], bytes], reason: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        subjects.verified(make(), ["kcc"])
    assert refused.value.reason == reason and refused.value.violations[0].field == "subject"
    assert pseudonyms.calls == []


def test_a_domains_refreshed_reference_is_the_same_consent_pseudonym(
    subjects: Subjects,
) -> None:
    raw = subject(6, "onderzoek", Kind.REFERENCE)
    converted = subjects.converted(raw, subjects.verified(raw, ["onderzoek"]))
    assert converted.pseudonym == consent_pseudonym(6)


def test_a_refusal_of_the_pseudonym_service_is_named_on_the_subject(
    subjects: Subjects, pseudonyms: FakePseudonyms
) -> None:
    raw = subject(1)
    tag = subjects.verified(raw, ["kcc"])
    pseudonyms.refusal = "TAG_SPENT"
    with pytest.raises(InvalidArgument) as refused:
        subjects.converted(raw, tag)
    assert refused.value.reason == "TAG_SPENT"
    assert [v.field for v in refused.value.violations] == ["subject"]


def test_an_answer_under_another_key_is_a_precondition_failure(pseudonyms: FakePseudonyms) -> None:
    other = domain_key("someone-else")
    wrong_key = DomainKey("consent", "v1", other.secret_key, other.public_key)
    wrong = Subjects(pseudonyms, wrong_key, FakeClock())
    raw = subject(1)
    with pytest.raises(FailedPrecondition) as refused:
        wrong.converted(raw, wrong.verified(raw, ["kcc"]))
    assert refused.value.reason == "DOMAIN_KEY_MISMATCH"


def test_a_stored_consent_is_named_by_its_reference_until_the_reference_expires(
    subjects: Subjects, pseudonyms: FakePseudonyms, clock: FakeClock
) -> None:
    raw = subject(2)
    reference = subjects.converted(raw, subjects.verified(raw, ["kcc"])).reference
    assert tags.parse(subjects.record_subject(reference)).audience == "audit/consent"
    assert subjects.record_subject(b"") == b""
    clock.advance(tags.parse(reference).not_after - clock() + timedelta(seconds=1))
    assert subjects.record_subject(reference) == b""
    assert pseudonyms.calls.count("report") == 1
