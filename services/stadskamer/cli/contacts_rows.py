"""Contacts to load through the public API: from an import file or the demo generator.

Import files (JSON lines, or CSV with a header row) have one contact per line with these
fields:

- ``domain``, ``topic``, ``org_unit``: as in RegisterContactRequest (required);
- ``channel``: ``phone``, ``CHANNEL_PHONE`` or the enum number (required);
- ``occurred_at``: ISO 8601 with a UTC offset, e.g. ``2025-03-01T09:30:00+01:00`` (required);
- ``resolved_first_time``: true/false, 1/0 or yes/no (default false);
- ``summary``: free text (optional);
- ``request_id``: the idempotency key (default ``<file name>:<line number>``, so importing
  the same file again writes nothing new);
- the citizen, at most one of: ``subject``, a tagged pseudonym of the row's domain as the
  pseudonym service issued it (unpadded base64url; valid for minutes only), or ``bsn``,
  which the command has issued by the pseudonym service into the row's domain just before
  sending the row (the BSN goes to the pseudonym service only, never to the contacts
  service). Neither: an anonymous contact.

A bad line stops the command before anything is sent, naming the line and the field only
(never the value, which may hold personal data).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.contacts.domain import Channel
from stadskamer.contacts.messages import timestamp
from stadskamer.pep import InvalidBsnError, normalize_bsn

_TRUE = {"true", "1", "yes", "ja"}
_FALSE = {"false", "0", "no", "nee", ""}


class RowError(ValueError):
    """A line of an import file is not a valid contact; the message names the field only."""


@dataclass(frozen=True)
class ContactRow:
    """One contact to register, with its citizen as a BSN or a tagged pseudonym."""

    request_id: str
    domain: str
    channel: int
    topic: str
    org_unit: str
    occurred_at: datetime
    resolved_first_time: bool
    summary: str = ""
    bsn: str = ""
    subject: bytes = b""

    def with_request_id(self, request_id: str) -> ContactRow:
        """A copy with another request id."""
        return replace(self, request_id=request_id)

    def request(self, issued: bytes = b"") -> pb.RegisterContactRequest:
        """The RegisterContactRequest, with ``issued`` (the BSN's tagged pseudonym) as its
        subject when the row names a BSN."""
        subject = issued if self.bsn else self.subject
        return pb.RegisterContactRequest(
            request_id=self.request_id,
            domain=self.domain,
            subject=subject,
            channel=self.channel,  # type: ignore[arg-type]
            topic=self.topic,
            org_unit=self.org_unit,
            occurred_at=timestamp(self.occurred_at),
            resolved_first_time=self.resolved_first_time,
            summary=self.summary,
        )


def _text(fields: Mapping[str, object], name: str, required: bool = True) -> str:
    value = fields.get(name)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise RowError(f"{name} is required")
    return text


def _channel(raw: str) -> int:
    name = raw.upper().removeprefix("CHANNEL_")
    if name in Channel.__members__:
        return int(Channel[name])
    if raw.isdigit() and int(raw) in {int(c) for c in Channel}:
        return int(raw)
    raise RowError("channel is not a known channel")


def _moment(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise RowError("occurred_at is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise RowError("occurred_at needs a UTC offset, e.g. +01:00 or Z")
    return moment


def _flag(raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise RowError("resolved_first_time is not true or false")


def parse_row(fields: Mapping[str, object], default_request_id: str) -> ContactRow:
    """One import line as a ContactRow; :class:`RowError` naming the field when invalid."""
    subject_text = _text(fields, "subject", required=False)
    bsn = _text(fields, "bsn", required=False)
    if subject_text and bsn:
        raise RowError("give subject or bsn, not both")
    subject = b""
    if subject_text:
        try:
            padded = subject_text + "=" * (-len(subject_text) % 4)
            subject = base64.b64decode(padded, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise RowError("subject is not base64url") from None
    if bsn:
        try:
            bsn = normalize_bsn(bsn)
        except InvalidBsnError:
            raise RowError("bsn is not a valid BSN") from None
    return ContactRow(
        request_id=_text(fields, "request_id", required=False) or default_request_id,
        domain=_text(fields, "domain"),
        channel=_channel(_text(fields, "channel")),
        topic=_text(fields, "topic"),
        org_unit=_text(fields, "org_unit"),
        occurred_at=_moment(_text(fields, "occurred_at")),
        resolved_first_time=_flag(_text(fields, "resolved_first_time", required=False)),
        summary=_text(fields, "summary", required=False),
        bsn=bsn,
        subject=subject,
    )
