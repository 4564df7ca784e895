"""Opaque page tokens (AIP-158), bound to the filter they were made for; one format for all.

A token is unpadded base64url of a small JSON document: a format version, a fingerprint of
the request's filters (SHA-256, first 16 bytes, hex) and a keyset position of two values
(e.g. a time in microseconds and the id of the last item returned, or a leaf index and a tree
size). It carries no personal data. A token is not signed: altering it can only move the
position within results the caller may see anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from stadskamer.common.errors import InvalidArgument

MAX_TOKEN_LENGTH = 512
MAX_ID_LENGTH = 64
_VERSION = 2

Position = tuple[int, int | str]


def fingerprint(*parts: object) -> str:
    """A short stable digest of the filter values (bytes count by their hex form)."""
    plain = [part.hex() if isinstance(part, bytes) else part for part in parts]
    canonical = json.dumps(plain, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def encode(filter_fingerprint: str, position: Position) -> str:
    """The token for the page after ``position``."""
    document = {"v": _VERSION, "f": filter_fingerprint, "p": list(position)}
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(token: str, filter_fingerprint: str, second: type[int] | type[str] = str) -> Position:
    """The position in ``token``: an integer (at least -1) and a ``second`` value (an integer
    or an id of at most 64 characters). INVALID_ARGUMENT when malformed, too long or made for
    another filter."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw)
        valid = (
            len(token) <= MAX_TOKEN_LENGTH
            and isinstance(document, dict)
            and document.get("v") == _VERSION
            and _valid_position(document.get("p"), second)
        )
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise InvalidArgument.for_field("page_token", "not a page token of this service")
    if document.get("f") != filter_fingerprint:
        raise InvalidArgument.for_field(
            "page_token", "made for another filter; repeat the filter of the first page"
        )
    first, then = document["p"]
    return first, then


def _valid_position(position: object, second: type[int] | type[str]) -> bool:
    if not isinstance(position, list) or len(position) != 2:
        return False
    first, then = position
    if type(first) is not int or first < -1:
        return False
    if second is int:
        return type(then) is int and then >= -1
    return type(then) is str and 0 < len(then) <= MAX_ID_LENGTH
