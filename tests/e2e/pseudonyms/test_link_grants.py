"""Grant-bound transcryption through the real server: bound to the tag, once, recorded.

The grants here are signed with the deployment's consent key, as the consent service signs
them; the consent service's own checks are tested in the consent suites.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.client import PseudonymClient, decrypt_pseudonym
from stadskamer.common import link_grants
from stadskamer.common.errors import PermissionDenied
from stadskamer.common.keys import KeyLayout, read_ed25519_private_key
from stadskamer.common.link_grants import LinkGrant
from stadskamer.pep import tags
from tests.support.audit import audit_records
from tests.support.stack import Stack

BSN = "123456782"
PURPOSE = "integrated-contact-history"
AGENT = "kcc-agent"


def _consent_key(stack: Stack) -> Ed25519PrivateKey:
    return read_ed25519_private_key(KeyLayout.under(stack.data_dir).consent_private_key)


def _grant(subject: bytes, target: str = "burgerzaken", **changes: object) -> LinkGrant:
    grant = LinkGrant.create(
        tags.parse(subject).use_key(),
        "kcc",
        target,
        PURPOSE,
        "consents/7",
        datetime.now(UTC),
        presenter=AGENT,
    )
    return replace(grant, **changes)  # type: ignore[arg-type]


def _agent(stack: Stack, subject: str = AGENT) -> PseudonymClient:
    return PseudonymClient(stack.channel, stack.token(subject, ["kcc"], ["agent", "issuer"]))


def _service(stack: Stack, domain: str) -> PseudonymClient:
    return PseudonymClient(stack.channel, stack.token(f"{domain}-svc", [domain], ["service"]))


def keyed_reference(stack: Stack, domain: str, reference: str) -> str:
    """``reference`` as the audit service keeps it for a record of ``domain``."""
    from stadskamer.audit.references import ReferenceKeys
    from stadskamer.cli.keys_commands import export_domain_key
    from stadskamer.client import DomainKey

    key = DomainKey.from_file(export_domain_key(KeyLayout.under(stack.data_dir), "audit"))
    return ReferenceKeys(key.secret_key).kept(reference, domain)


def _records(stack: Stack) -> list[dict[str, str]]:
    return audit_records(stack.data_dir, "pseudonyms.transcrypt")


def test_a_valid_grant_converts_its_tag_once_into_a_grant_bound_pseudonym(stack: Stack) -> None:
    agent = _agent(stack)
    issued = agent.issue_one(BSN, "kcc", "contact-registration")
    grant = _grant(issued)
    signed = link_grants.issue(grant, _consent_key(stack))
    converted = agent.convert(issued, "burgerzaken", signed)
    tag = tags.parse(converted)
    assert (tag.audience, tag.grant_id, tag.requester, tag.kind) == (
        "burgerzaken",
        grant.grant_id,
        "kcc",
        tags.Kind.ENCRYPTED,
    )
    bz = _service(stack, "burgerzaken")
    key = bz.domain_key("burgerzaken")
    own = agent.issue([BSN], ["kcc"], "contact-registration")
    assert own[0]
    direct = PseudonymClient(
        stack.channel, stack.token("bz-agent", ["burgerzaken"], ["agent", "issuer"])
    ).issue_one(BSN, "burgerzaken", "contact-registration")
    assert decrypt_pseudonym(converted, key) == decrypt_pseudonym(direct, key)
    with pytest.raises(PermissionDenied) as raised:
        agent.convert(issued, "burgerzaken", signed)
    assert raised.value.reason == "LINK_GRANT_REPLAYED"
    records = _records(stack)
    assert [r["outcome"] for r in records] == ["OK", "DENIED"]
    assert records[0]["reference"] == keyed_reference(
        stack, "burgerzaken", f"link-grants/{grant.grant_id}"
    )
    assert records[0]["basis"] == "consents/7" and records[0]["actor"] == AGENT
    assert records[0]["purpose"] == PURPOSE and records[0]["requester_domain"] == "kcc"


def test_a_grant_bound_pseudonym_is_claimed_once_by_its_audience(stack: Stack) -> None:
    agent = _agent(stack)
    issued = agent.issue_one(BSN, "kcc", "contact-registration")
    converted = agent.convert(
        issued, "burgerzaken", link_grants.issue(_grant(issued), _consent_key(stack))
    )
    bz = _service(stack, "burgerzaken")
    bz.claim(converted, "burgerzaken")
    with pytest.raises(PermissionDenied) as raised:
        bz.claim(converted, "burgerzaken")
    assert raised.value.reason == "TAG_SPENT"


@pytest.mark.parametrize(
    ("make_grant", "presenter", "reason"),
    [
        (
            lambda pp, key: link_grants.issue(_grant(pp), Ed25519PrivateKey.generate()),
            AGENT,
            "LINK_GRANT_SIGNATURE_INVALID",
        ),
        (
            lambda pp, key: link_grants.issue(
                _grant(
                    pp,
                    issued_at=datetime.now(UTC) - timedelta(seconds=90),
                    expires_at=datetime.now(UTC) - timedelta(seconds=40),
                ),
                key,
            ),
            AGENT,
            "LINK_GRANT_EXPIRED",
        ),
        (
            lambda pp, key: link_grants.issue(_grant(pp, target="sociale-zaken"), key),
            AGENT,
            "LINK_GRANT_WRONG_TARGET",
        ),
        (
            lambda pp, key: link_grants.issue(_grant(pp, subject_hash=bytes(32)), key),
            AGENT,
            "LINK_GRANT_WRONG_SUBJECT",
        ),
        (
            lambda pp, key: link_grants.issue(_grant(pp, requester_domain="belastingen"), key),
            AGENT,
            "LINK_GRANT_WRONG_REQUESTER",
        ),
        (
            lambda pp, key: link_grants.issue(_grant(pp), key),
            "other-agent",
            "LINK_GRANT_WRONG_PRESENTER",
        ),
        (
            lambda pp, key: link_grants.issue(_grant(pp), key)[:-4] + "AAAA",
            AGENT,
            "LINK_GRANT_SIGNATURE_INVALID",
        ),
        (lambda pp, key: "not.a.grant", AGENT, "LINK_GRANT_MALFORMED"),
    ],
)
def test_forged_expired_retargeted_misbound_or_handed_on_grants_are_refused(
    stack: Stack,
    make_grant,  # type: ignore[no-untyped-def]
    presenter: str,
    reason: str,
) -> None:
    issued = _agent(stack).issue_one(BSN, "kcc", "contact-registration")
    signed = make_grant(issued, _consent_key(stack))
    with pytest.raises(PermissionDenied) as raised:
        _agent(stack, presenter).convert(issued, "burgerzaken", signed)
    assert raised.value.reason == reason
    if reason not in ("LINK_GRANT_SIGNATURE_INVALID", "LINK_GRANT_EXPIRED", "LINK_GRANT_MALFORMED"):
        assert [r["outcome"] for r in _records(stack)] == ["DENIED"]
