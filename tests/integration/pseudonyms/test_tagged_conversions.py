"""Issuance and tagged conversions on SQLite and PostgreSQL: once, bound, recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stadskamer import pep
from stadskamer.common import link_grants
from stadskamer.common.errors import InvalidArgument, PermissionDenied, ResourceExhausted
from stadskamer.common.link_grants import LinkGrant
from stadskamer.pep import tags
from stadskamer.pseudonyms.issuance import IssuanceLimits
from stadskamer.pseudonyms.service import TranscryptCommand
from tests.integration.pseudonyms.service_under_test import Parts, principal, pseudonym_service

AGENT = principal("agent-1", {"kcc"}, {"agent", "issuer"})
CONTACTS = principal("contacts", {"kcc", "sociale-zaken"}, {"service"})
BSN = "111222333"


def _issue(parts: Parts, bsn: str = BSN, audience: str = "kcc") -> bytes:
    answer = parts.issuance.issue(AGENT, [bsn], [audience], "contact-registration")[0]
    return answer.pseudonyms[0].to_bytes()


def _pseudonym(parts: Parts, tagged: bytes, domain: str) -> bytes:
    secret, _ = parts.key(domain)
    return pep.decrypt(tags.parse(tagged).parsed_ciphertext(), secret)


def test_an_issued_pseudonym_is_claimed_once_by_its_audience(database_url: str) -> None:
    with pseudonym_service(database_url) as parts:
        issued = _issue(parts)
        claim = parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", issued))
        assert claim.tagged.kind is tags.Kind.REFERENCE and claim.audit_subject is not None
        assert claim.audit_subject.audience == "audit/kcc"
        assert _pseudonym(parts, claim.tagged.to_bytes(), "kcc") == _pseudonym(parts, issued, "kcc")
        again = _issue(parts)
        assert again != issued
        assert _pseudonym(parts, again, "kcc") == _pseudonym(parts, issued, "kcc")
        with pytest.raises(PermissionDenied) as raised:
            parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", issued))
        assert raised.value.reason == "TAG_SPENT"


def test_report_pseudonyms_differ_per_reporting_domain(database_url: str) -> None:
    with pseudonym_service(database_url) as parts:
        kcc = parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", _issue(parts)))
        klachten_caller = principal("complaints", {"klachten"}, {"service"})
        agent = principal("agent-2", {"klachten"}, {"agent", "issuer"})
        issued = parts.issuance.issue(agent, [BSN], ["klachten"], "complaint-handling")[0]
        klachten = parts.service.transcrypt(
            klachten_caller, TranscryptCommand("klachten", issued.pseudonyms[0].to_bytes())
        )
        assert kcc.audit_subject and klachten.audit_subject
        first = _pseudonym(parts, kcc.audit_subject.to_bytes(), "audit")
        second = _pseudonym(parts, klachten.audit_subject.to_bytes(), "audit")
        assert first != second


def test_a_grant_converts_exactly_its_tag_once_for_its_presenter(database_url: str) -> None:
    with pseudonym_service(database_url) as parts:
        issued = _issue(parts)
        grant = LinkGrant.create(
            tags.parse(issued).use_key(),
            "kcc",
            "sociale-zaken",
            "integrated-contact-history",
            "consents/1",
            datetime.now(UTC),
            presenter=AGENT.subject,
        )
        token = link_grants.issue(grant, parts.consent_key)
        converted = parts.service.transcrypt(
            AGENT, TranscryptCommand("sociale-zaken", issued, token)
        ).tagged
        assert (converted.audience, converted.grant_id, converted.requester) == (
            "sociale-zaken",
            grant.grant_id,
            "kcc",
        )
        assert converted.not_after == grant.expires_at
        with pytest.raises(PermissionDenied) as raised:
            parts.service.transcrypt(AGENT, TranscryptCommand("sociale-zaken", issued, token))
        assert raised.value.reason == "LINK_GRANT_REPLAYED"
        other = _issue(parts, "123456782")
        with pytest.raises(PermissionDenied) as raised:
            parts.service.transcrypt(AGENT, TranscryptCommand("sociale-zaken", other, token))
        assert raised.value.reason == "LINK_GRANT_WRONG_SUBJECT"
        records = [r for r in parts.log.records if r.name == "pseudonyms.transcrypt"]
        assert [r.status for r in records] == ["OK", "DENIED", "DENIED"]
        record = records[0]
        assert record.reference == f"link-grants/{grant.grant_id}" and record.subject_tagged


def test_untagged_and_rerandomized_input_is_refused(database_url: str) -> None:
    with pseudonym_service(database_url) as parts:
        issued = tags.parse(_issue(parts))
        raw = pep.encrypt(pep.identity_point(BSN), parts.transcryptor.master_public_key)
        with pytest.raises(InvalidArgument) as raised:
            parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", raw.to_bytes()))
        assert raised.value.reason == "UNTAGGED_PSEUDONYM"
        moved = tags.TaggedPseudonym(
            **{
                **issued.__dict__,
                "ciphertext": pep.rerandomize(issued.parsed_ciphertext()).to_bytes(),
            }
        )
        with pytest.raises(InvalidArgument) as raised:
            parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", moved.to_bytes()))
        assert raised.value.reason == "TAG_INVALID"
        with pytest.raises(InvalidArgument) as raised:
            parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", untagged="polymorphic"))
        assert raised.value.reason == "UNTAGGED_PSEUDONYM"


def test_issuance_needs_the_role_and_the_audience_and_stops_at_the_limit(
    database_url: str,
) -> None:
    with pseudonym_service(database_url, IssuanceLimits(per_hour=3)) as parts:
        with pytest.raises(PermissionDenied):
            parts.issuance.issue(
                principal("a", {"kcc"}, {"agent"}), [BSN], ["kcc"], "contact-registration"
            )
        with pytest.raises(PermissionDenied):
            parts.issuance.issue(AGENT, [BSN], ["sociale-zaken"], "contact-registration")
        with pytest.raises(PermissionDenied):
            parts.issuance.issue(AGENT, [BSN], ["consent"], "contact-registration")
        answers = parts.issuance.issue(AGENT, [BSN, "123456789", "123456782"], ["kcc"], "x-y")
        assert [a.refusal_reason for a in answers] == ["", "INVALID_BSN", ""]
        parts.issuance.issue(AGENT, [BSN], ["kcc"], "x-y")
        with pytest.raises(ResourceExhausted):
            parts.issuance.issue(AGENT, [BSN], ["kcc"], "x-y")
        issued = [r for r in parts.log.records if r.name == "pseudonyms.issue"]
        assert len(issued) == 3 and all(r.actor == "agent-1" and r.subject_tagged for r in issued)


def test_a_privacy_officer_is_issued_one_audit_pseudonym_per_reporting_domain(
    database_url: str,
) -> None:
    with pseudonym_service(database_url) as parts:
        officer = principal("po", {"audit"}, {"privacy-officer", "issuer"})
        [answer] = parts.issuance.issue(officer, [BSN], ["audit"], "subject-access")
        audiences = [p.audience for p in answer.pseudonyms]
        assert "audit/kcc" in audiences and "audit/klachten" in audiences
        kcc = parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", _issue(parts)))
        assert kcc.audit_subject is not None
        wanted = _pseudonym(parts, kcc.audit_subject.to_bytes(), "audit")
        by_audience = {
            p.audience: _pseudonym(parts, p.to_bytes(), "audit") for p in answer.pseudonyms
        }
        assert by_audience["audit/kcc"] == wanted


def test_a_batch_with_a_spent_item_spends_none_of_the_others(database_url: str) -> None:
    with pseudonym_service(database_url) as parts:
        spent, fresh = _issue(parts), _issue(parts, "123456782")
        parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", spent))
        batch = [TranscryptCommand("kcc", fresh), TranscryptCommand("kcc", spent)]
        with pytest.raises(PermissionDenied) as raised:
            parts.service.transcrypt_batch(CONTACTS, batch)
        assert raised.value.reason == "TAG_SPENT" and raised.value.metadata["item"] == "1"
        claimed = parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", fresh))
        assert claimed.tagged.kind is tags.Kind.REFERENCE
