"""Opaque page tokens of ListProcessing (AIP-158), bound to the filter they were made for.

A token is unpadded base64url of a small JSON document: a format version, a fingerprint of
the filter (SHA-256, first 16 bytes, hex), the leaf index of the last record returned and the
tree size when the first page was asked for (later pages list nothing appended since, so a
query that logs itself cannot page forever). It carries no personal data and is not signed:
altering it only moves the position within records the privacy officer may see anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from stadskamer.common.errors import InvalidArgument

_VERSION = 1


@dataclass(frozen=True)
class Position:
    """Where the next page starts: after ``after``, below ``snapshot``."""

    after: int
    snapshot: int


def fingerprint(*parts: object) -> str:
    """A short stable digest of the filter values."""
    plain = [p.hex() if isinstance(p, bytes) else p for p in parts]
    canonical = json.dumps(plain, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def encode(filter_fingerprint: str, position: Position) -> str:
    """The token for the page at ``position``."""
    document = {"v": _VERSION, "f": filter_fingerprint, "a": position.after, "s": position.snapshot}
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(token: str, filter_fingerprint: str) -> Position:
    """The position in ``token``; INVALID_ARGUMENT when malformed or made for another filter."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw)
        valid = (
            isinstance(document, dict)
            and document.get("v") == _VERSION
            and all(type(document.get(k)) is int and document[k] >= -1 for k in ("a", "s"))
        )
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise InvalidArgument.for_field("page_token", "not a page token of this service")
    if document.get("f") != filter_fingerprint:
        raise InvalidArgument.for_field(
            "page_token", "made for another filter; repeat the filter of the first page"
        )
    return Position(document["a"], document["s"])
