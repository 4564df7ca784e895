"""Opaque page tokens of ListContacts (AIP-158), bound to the filter they were made for.

A token is unpadded base64url of a small JSON document: a format version, a fingerprint of
the request's filters (SHA-256, first 16 bytes, hex) and the keyset position (occurred_at in
microseconds and id of the last contact returned). It carries no personal data. A token is
not signed: altering it can only move the position within results the caller may see anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from stadskamer.common.errors import InvalidArgument
from stadskamer.contacts.adapters.repository import Cursor

_VERSION = 1


def fingerprint(*parts: object) -> str:
    """A short stable digest of the filter values."""
    canonical = json.dumps([_plain(p) for p in parts], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _plain(value: object) -> object:
    return value.hex() if isinstance(value, bytes) else value


def encode(filter_fingerprint: str, cursor: Cursor) -> str:
    """The token for the page after ``cursor``."""
    document = {"v": _VERSION, "f": filter_fingerprint, "t": cursor.occurred_at_us, "i": cursor.id}
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(token: str, filter_fingerprint: str) -> Cursor:
    """The position in ``token``; INVALID_ARGUMENT when malformed or made for other filters."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw)
        valid = (
            isinstance(document, dict)
            and document.get("v") == _VERSION
            and isinstance(document.get("t"), int)
            and isinstance(document.get("i"), str)
        )
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise InvalidArgument.for_field("page_token", "not a page token of this service")
    if document.get("f") != filter_fingerprint:
        raise InvalidArgument.for_field(
            "page_token", "made for other filters; repeat the filters of the first page"
        )
    return Cursor(document["t"], document["i"])
