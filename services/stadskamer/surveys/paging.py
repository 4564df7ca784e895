"""Opaque page tokens (AIP-158) bound to the filter they were made for.

A token is unpadded base64url of a small JSON document: a format version, a fingerprint of
the filter (SHA-256, first 16 bytes, hex) and the keyset position (creation time in
microseconds and id of the last item returned). It carries no personal data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from stadskamer.common.errors import InvalidArgument

_VERSION = 1
MAX_TOKEN_LENGTH = 512


def fingerprint(*parts: object) -> str:
    """A short stable digest of the filter values."""
    canonical = json.dumps(list(parts), separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def encode(filter_fingerprint: str, position: tuple[int, str]) -> str:
    """The token for the page after ``position``."""
    document = {"v": _VERSION, "f": filter_fingerprint, "t": position[0], "i": position[1]}
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(token: str, filter_fingerprint: str) -> tuple[int, str]:
    """The position in ``token``; INVALID_ARGUMENT when malformed or made for another filter."""
    try:
        document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        valid = (
            isinstance(document, dict)
            and document.get("v") == _VERSION
            and isinstance(document.get("t"), int)
            and isinstance(document.get("i"), str)
        )
    except (binascii.Error, ValueError):
        valid = False
    if not valid or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidArgument.for_field("page_token", "not a page token of this service")
    if document.get("f") != filter_fingerprint:
        raise InvalidArgument.for_field(
            "page_token", "made for another filter; repeat the filter of the first page"
        )
    return int(document["t"]), str(document["i"])
