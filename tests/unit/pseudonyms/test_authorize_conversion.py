"""Who may convert what: own domains freely, other domains only with a matching link grant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from stadskamer.common.errors import PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.pseudonyms.domain import OWN_DOMAIN, authorize_conversion

SUBJECT = b"\x01" * 96
GRANT = LinkGrant.create(
    SUBJECT, "kcc", "burgerzaken", "integrated-contact-history", "consents/42", datetime.now(UTC)
)
KCC = frozenset({"kcc"})


def test_own_domain_needs_no_grant() -> None:
    assert authorize_conversion(KCC, None, "kcc", None, SUBJECT) == OWN_DOMAIN
    assert authorize_conversion(KCC, "kcc", "kcc", None, SUBJECT) == OWN_DOMAIN


def test_a_matching_grant_allows_the_link_and_names_its_basis() -> None:
    assert authorize_conversion(KCC, None, "burgerzaken", GRANT, SUBJECT) == "consents/42"
    assert authorize_conversion(KCC, "kcc", "burgerzaken", GRANT, SUBJECT) == "consents/42"


@pytest.mark.parametrize(
    ("caller", "source", "target", "grant", "subject", "reason"),
    [
        (KCC, None, "burgerzaken", None, SUBJECT, "LINK_GRANT_REQUIRED"),
        (
            frozenset({"kcc", "burgerzaken"}),
            "kcc",
            "burgerzaken",
            None,
            SUBJECT,
            "LINK_GRANT_REQUIRED",
        ),
        (KCC, None, "sociale-zaken", GRANT, SUBJECT, "LINK_GRANT_WRONG_TARGET"),
        (
            frozenset({"belastingen"}),
            None,
            "burgerzaken",
            GRANT,
            SUBJECT,
            "LINK_GRANT_WRONG_REQUESTER",
        ),
        (
            frozenset({"kcc", "klachten"}),
            "klachten",
            "burgerzaken",
            GRANT,
            SUBJECT,
            "LINK_GRANT_WRONG_SOURCE",
        ),
        (KCC, None, "burgerzaken", GRANT, b"\x02" * 96, "LINK_GRANT_WRONG_SUBJECT"),
        (
            KCC,
            None,
            "burgerzaken",
            replace(GRANT, requester_domain="burgerzaken"),
            SUBJECT,
            "LINK_GRANT_WRONG_REQUESTER",
        ),
    ],
)
def test_everything_else_is_refused_with_a_reason(
    caller: frozenset[str],
    source: str | None,
    target: str,
    grant: LinkGrant | None,
    subject: bytes,
    reason: str,
) -> None:
    with pytest.raises(PermissionDenied) as raised:
        authorize_conversion(caller, source, target, grant, subject)
    assert raised.value.reason == reason


def test_a_grant_also_allows_the_push_orientation_into_the_requester() -> None:
    grant = LinkGrant.create(
        SUBJECT, "onderzoek", "klachten", "satisfaction-survey", "rule-x", datetime.now(UTC)
    )
    onderzoek = frozenset({"onderzoek"})
    assert authorize_conversion(onderzoek, "klachten", "onderzoek", grant, SUBJECT) == "rule-x"
    with pytest.raises(PermissionDenied) as raised:
        authorize_conversion(onderzoek, "kcc", "onderzoek", grant, SUBJECT)
    assert raised.value.reason == "LINK_GRANT_WRONG_SOURCE"


def test_oversight_domains_convert_into_themselves_without_a_grant() -> None:
    oversight = frozenset({"consent", "audit"})
    consent = frozenset({"consent"})
    assert authorize_conversion(consent, "kcc", "consent", None, SUBJECT, oversight) == "oversight"
    with pytest.raises(PermissionDenied):
        authorize_conversion(consent, "kcc", "consent", None, SUBJECT, frozenset())
    with pytest.raises(PermissionDenied):
        authorize_conversion(KCC, "consent", "kcc", None, SUBJECT, oversight)


def test_a_service_may_have_a_polymorphic_pseudonym_encrypted_for_the_audit_domain() -> None:
    report = frozenset({"audit"})
    assert authorize_conversion(KCC, None, "audit", None, SUBJECT, frozenset(), report) == "report"


def test_the_report_rule_covers_polymorphic_pseudonyms_only_and_only_report_domains() -> None:
    report = frozenset({"audit"})
    with pytest.raises(PermissionDenied):
        authorize_conversion(KCC, "kcc", "audit", None, SUBJECT, frozenset(), report)
    with pytest.raises(PermissionDenied):
        authorize_conversion(KCC, None, "burgerzaken", None, SUBJECT, frozenset(), report)
    with pytest.raises(PermissionDenied):
        authorize_conversion(KCC, None, "audit", None, SUBJECT)
