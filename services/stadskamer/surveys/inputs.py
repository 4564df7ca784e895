"""What valid input is: the commands of the surveys use cases and their shape checks.

Plain Python. Each check yields ``(field, description)`` pairs named after the public
contract, so the servicer's validators and the service layer report the same violations. No
description contains the input's value (an address or a text is personal data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from stadskamer.common.citizens import tagged_violations
from stadskamer.common.errors import FieldViolation, InvalidArgument
from stadskamer.surveys.domain import DOMAIN, AddressKind, Channel, Outcome, TriggerKind

MAX_TEXT_CHARS = 2000
MAX_TITLE_CHARS = 200
MAX_ADDRESS_CHARS = 254
REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
REFERENCE = re.compile(r"^[\x21-\x7e]{1,128}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
CODE_TEXT = "1-64 characters of a-z, 0-9, '-', '_' and '.'"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
PHONE = re.compile(r"^\+?[0-9]{9,15}$")

Violation = tuple[str, str]


def invalid(found: Iterable[Violation], what: str) -> None:
    """Raise INVALID_ARGUMENT naming every violated field, if there is any."""
    violations = [FieldViolation(name, text) for name, text in found]
    if violations:
        names = ", ".join(v.field for v in violations)
        raise InvalidArgument(f"invalid {what}: {names}", "INVALID_FIELD", violations=violations)


@dataclass(frozen=True)
class Address:
    """A contact address; ``kind`` 0 means not given."""

    kind: int
    value: str


@dataclass(frozen=True)
class InvitationDraft:
    """An invitation asked for by API. ``subject`` empty: an anonymous contact."""

    request_id: str
    subject: bytes
    trigger: int
    channel: int
    topic: str
    org_unit: str
    complaint_outcome: int = 0
    source_reference: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class Answer:
    """A respondent's answer to a survey."""

    token: str
    score: int
    what_was_good: str
    what_can_be_better: str
    aspect: str
    may_call_back: bool = False
    consent_purpose_version: int = 0


def code_violations(field: str, value: str) -> Iterator[Violation]:
    """A required code (topic, org unit, aspect, study, district)."""
    if not CODE.match(value):
        yield field, f"required: {CODE_TEXT}"


def subject_violations(field: str, subject: bytes, optional: bool = False) -> Iterator[Violation]:
    """A tagged pseudonym of onderzoek (or, when optional, none)."""
    yield from tagged_violations(field, subject, (DOMAIN,), optional)


def address_violations(field: str, address: Address | None) -> Iterator[Violation]:
    """A required address of a known kind in the shape of its kind."""
    if address is None or not address.kind:
        yield f"{field}.kind", "required: ADDRESS_KIND_EMAIL or ADDRESS_KIND_SMS"
        return
    if address.kind not in AddressKind.__members__.values():
        yield f"{field}.kind", "required: ADDRESS_KIND_EMAIL or ADDRESS_KIND_SMS"
    elif len(address.value) > MAX_ADDRESS_CHARS:
        yield f"{field}.value", f"at most {MAX_ADDRESS_CHARS} characters"
    elif address.kind == AddressKind.EMAIL and not EMAIL.match(address.value):
        yield f"{field}.value", "not an e-mail address"
    elif address.kind == AddressKind.SMS and not PHONE.match(address.value):
        yield f"{field}.value", "not a mobile number (9-15 digits, optionally with a leading +)"


def draft_violations(draft: InvitationDraft) -> Iterator[Violation]:
    """Shape checks of an invitation asked for by API."""
    if not REQUEST_ID.match(draft.request_id):
        yield "request_id", "required: 1-128 printable ASCII characters without spaces"
    yield from subject_violations("subject", draft.subject, optional=True)
    if draft.trigger not in TriggerKind.__members__.values():
        yield "trigger", "required: a TriggerKind value"
    if draft.channel not in Channel.__members__.values():
        yield "channel", "required: a Channel value"
    yield from code_violations("topic", draft.topic)
    yield from code_violations("org_unit", draft.org_unit)
    if draft.complaint_outcome and draft.complaint_outcome not in Outcome.__members__.values():
        yield "complaint_outcome", "not an Outcome value"
    elif draft.complaint_outcome and draft.trigger != TriggerKind.COMPLAINT:
        yield "complaint_outcome", "only with TRIGGER_KIND_COMPLAINT"
    if draft.source_reference and not REFERENCE.match(draft.source_reference):
        yield "source_reference", "at most 128 printable ASCII characters without spaces"
    if draft.address is not None:
        yield from address_violations("contact_address", draft.address)


def text_violations(field: str, value: str, limit: int, required: bool) -> Iterator[Violation]:
    """Free text of at most ``limit`` characters; required or optional."""
    if required and not value.strip():
        yield field, "required"
    elif len(value) > limit:
        yield field, f"at most {limit} characters"


def answer_violations(answer: Answer) -> Iterator[Violation]:
    """Shape checks of an answer (the aspect list is checked by the service)."""
    if not TOKEN.match(answer.token):
        yield "token", "required: the 43-character token of the survey link"
    if not 1 <= answer.score <= 10:
        yield "score", "required: a whole grade from 1 to 10"
    yield from text_violations("what_was_good", answer.what_was_good, MAX_TEXT_CHARS, False)
    yield from text_violations(
        "what_can_be_better", answer.what_can_be_better, MAX_TEXT_CHARS, False
    )
    yield from code_violations("aspect", answer.aspect)
    if answer.may_call_back and answer.consent_purpose_version < 1:
        yield "consent_purpose_version", "required with may_call_back: the version shown"


def name_violations(field: str, name: str, prefix: str) -> Iterator[Violation]:
    """A resource name ``<prefix>{uuid}``."""
    if not name.startswith(prefix) or not UUID.match(name[len(prefix) :]):
        yield field, f"required: {prefix}{{uuid}}"


def resource_id(name: str, prefix: str, field: str = "name") -> str:
    """The uuid of a resource name; INVALID_ARGUMENT naming ``field`` otherwise."""
    invalid(name_violations(field, name, prefix), "name")
    return name[len(prefix) :]
