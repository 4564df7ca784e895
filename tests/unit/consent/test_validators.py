"""Shape checks of the ConsentService requests: every bad field is named."""

from __future__ import annotations

from google.protobuf.message import Message

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.consent.v1 import consent_pb2 as pb
from stadskamer.consent.entrypoint import SERVICE_NAME, VALIDATORS
from tests.unit.consent.fakes import subject

SUBJECT = subject(1)


def _fields(method: str, request: Message) -> set[str]:
    return {v.field for v in VALIDATORS[f"/{SERVICE_NAME}/{method}"](request)}


def _grant(**changes: object) -> pb.GrantConsentRequest:
    request = pb.GrantConsentRequest(
        request_id="req-1",
        subject=SUBJECT,
        purpose="research-panel",
        purpose_version=1,
        capture=pb.Capture(channel=channel_pb2.CHANNEL_PHONE, method=pb.CAPTURE_METHOD_AGENT),
    )
    for name, value in changes.items():
        setattr(request, name, value)
    return request


def test_a_good_grant_request_passes() -> None:
    assert _fields("GrantConsent", _grant()) == set()


def test_every_bad_field_of_a_grant_request_is_named() -> None:
    request = _grant(request_id="", subject=b"\x01" * 95, purpose="Research Panel")
    request.purpose_version = 0
    request.capture.channel = 99  # type: ignore[assignment]
    request.capture.method = pb.CAPTURE_METHOD_UNSPECIFIED
    request.capture.agent_id = "agent 7; drop"
    request.expire_time.seconds = 10**15
    assert _fields("GrantConsent", request) == {
        "request_id",
        "subject",
        "purpose",
        "purpose_version",
        "capture.channel",
        "capture.method",
        "capture.agent_id",
        "expire_time",
    }


def test_names_reasons_pages_and_link_queries_are_checked() -> None:
    assert _fields("GetConsent", pb.GetConsentRequest(name="consents/42")) == {"name"}
    assert _fields("WithdrawConsent", pb.WithdrawConsentRequest(name="consents/" + "0" * 32)) == {
        "reason"
    }
    listing = pb.ListConsentsRequest(subject=b"", page_size=-1)
    assert _fields("ListConsents", listing) == {"subject", "page_size"}
    for method, message in (
        ("CheckConsent", pb.CheckConsentRequest()),
        ("IssueLinkGrant", pb.IssueLinkGrantRequest()),
    ):
        assert _fields(method, message) == {
            "subject",
            "purpose",
            "requester_domain",
            "target_domain",
        }


def test_the_subject_domain_of_a_grant_must_be_a_domain_name() -> None:
    assert _fields("GrantConsent", _grant(subject_domain="onderzoek")) == set()
    assert _fields("GrantConsent", _grant(subject_domain="Onderzoek!")) == {"subject_domain"}


def test_a_subject_must_be_a_tagged_pseudonym_in_its_wire_form() -> None:
    polymorphic_shaped = subject(1)[2:98]
    for bad in (polymorphic_shaped, bytes(96), subject(1) + b"\x00", subject(1)[:-1]):
        assert _fields("GrantConsent", _grant(subject=bad)) == {"subject"}
        assert _fields("ListConsents", pb.ListConsentsRequest(subject=bad)) == {"subject"}
