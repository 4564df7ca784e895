"""The audit service opens only tagged audit/<domain> pseudonyms, with its one key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stadskamer import pep
from stadskamer.audit.subjects import AuditSubjects, Subject
from stadskamer.client import DomainKey
from stadskamer.common.errors import InvalidArgument
from stadskamer.pep.group import scalar_mul
from stadskamer.pep.tags import Kind
from tests.unit.audit.tagged import Tagger

FIELD = "records[0].subject_tagged"


def _subjects(tagger: Tagger) -> AuditSubjects:
    return AuditSubjects(tagger, tagger.audit_key)


def test_each_reporting_domain_opens_to_its_own_pseudonym_with_the_one_key() -> None:
    tagger = Tagger()
    subjects = _subjects(tagger)
    kcc = subjects.open(tagger.subject("citizen-1", "kcc"), FIELD)
    klachten = subjects.open(tagger.subject("citizen-1", "klachten"), FIELD)
    assert kcc == Subject(tagger.pseudonym("citizen-1", "kcc"), "kcc")
    assert klachten.domain == "klachten" and klachten.pseudonym != kcc.pseudonym


def _refusal(tagger: Tagger, tagged: bytes) -> str:
    with pytest.raises(InvalidArgument) as raised:
        _subjects(tagger).open(tagged, FIELD)
    assert [v.field for v in raised.value.violations] == [FIELD]
    return raised.value.reason


def test_what_the_pseudonym_service_did_not_tag_for_the_log_is_refused() -> None:
    tagger = Tagger()
    genuine = tagger.subject("citizen-1", "kcc")
    other_key = Tagger(audit_key=tagger.audit_key)
    self_made = pep.encrypt(tagger.pseudonym("citizen-1", "kcc"), tagger.audit_key.public_key)
    neutral = pep.Ciphertext(
        pep.public_key(s := pep.random_scalar()),
        pep.public_key(scalar_mul(s, tagger.audit_key.secret_key)),
        tagger.audit_key.public_key,
    )
    assert _refusal(tagger, self_made.to_bytes()) == "UNTAGGED_PSEUDONYM"
    assert _refusal(tagger, genuine[:-1] + bytes([genuine[-1] ^ 1])) == "TAG_INVALID"
    assert _refusal(tagger, other_key.subject("citizen-1", "kcc")) == "TAG_KEY_UNKNOWN"
    expired = tagger.subject("citizen-1", "kcc", lifetime=timedelta(seconds=-1))
    assert _refusal(tagger, expired) == "TAG_EXPIRED"
    resigned_late = other_key.subject("citizen-1", "kcc", lifetime=timedelta(seconds=-1))
    with pytest.raises(InvalidArgument) as raised:
        _subjects(tagger).open(resigned_late, FIELD, late=True)
    assert raised.value.reason == "TAG_KEY_UNKNOWN"
    for audience in ("kcc", "audit", "audit/"):
        assert _refusal(tagger, tagger.subject("c", "kcc", audience=audience)) == "WRONG_AUDIENCE"
    reference = tagger.subject("citizen-1", "kcc", kind=Kind.REFERENCE)
    assert _refusal(tagger, reference) == "TAG_KIND_REFUSED"
    elsewhere = DomainKey("kcc", "v1", s := pep.random_scalar(), pep.public_key(s))
    assert (
        _refusal(tagger, tagger.subject("c", "kcc", key=elsewhere.public_key)) == "WRONG_PUBLIC_KEY"
    )
    assert _refusal(tagger, tagger.tag(neutral, "audit/kcc")) == "IDENTITY_PSEUDONYM"


def test_a_records_subject_delivered_after_its_expiry_is_still_opened() -> None:
    tagger = Tagger()
    late = tagger.subject("citizen-1", "kcc", lifetime=timedelta(hours=-5))
    opened = _subjects(tagger).open(late, FIELD, late=True)
    assert opened.pseudonym == tagger.pseudonym("citizen-1", "kcc")
    forged = late[:-1] + bytes([late[-1] ^ 1])
    with pytest.raises(InvalidArgument) as raised:
        _subjects(tagger).open(forged, FIELD, late=True)
    assert raised.value.reason == "TAG_INVALID"


def test_only_the_audit_domain_key_opens_subjects() -> None:
    tagger = Tagger()
    kcc = DomainKey("kcc", "v1", s := pep.random_scalar(), pep.public_key(s))
    with pytest.raises(ValueError):
        AuditSubjects(tagger, kcc)
