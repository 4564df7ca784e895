"""Tagged pseudonyms: every ciphertext the pseudonym service hands out, with its Ed25519 tag.

shared/design/pseudonyms.md, "Issued, never self-made": a tag is an Ed25519 signature by the
pseudonym service's tag key over

    "stadskamer/tag/v1\\0" ‖ u8 kind ‖ ct[96] ‖ lp(audience) ‖ lp(requester) ‖ lp(grant_id)
    ‖ lp(key_version) ‖ u64be(not_after_ms) ‖ lp(key_id)

with ``lp`` = u16 big-endian length ‖ bytes. The wire form of a tagged pseudonym (the bytes a
contract carries wherever it takes a subject) is that message without its label, prefixed by
a format byte, followed by the 64-byte signature:

    u8 format(=1) ‖ u8 kind ‖ ct[96] ‖ lp(audience) ‖ lp(requester) ‖ lp(grant_id)
    ‖ lp(key_version) ‖ u64be(not_after_ms) ‖ lp(key_id) ‖ signature[64]

Parsing is strict: one spelling per value (no trailing bytes, printable ASCII text fields, a
ciphertext whose three points are valid and not the neutral element), so the exact bytes are
what is signed, converted and spent. Single use is keyed on :meth:`TaggedPseudonym.use_key`,
the SHA-256 of the signed message, never of the signature. Plain Python: no gRPC, no SQL.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import IntEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from stadskamer.pep.elgamal import CIPHERTEXT_BYTES, Ciphertext
from stadskamer.pep.group import InvalidEncodingError

LABEL = b"stadskamer/tag/v1\x00"
FORMAT = 1
SIGNATURE_BYTES = 64
MAX_WIRE_BYTES = 2048  # a request field holding a tagged pseudonym (about 200 bytes) at most
MAX_TEXT = 255
_NEUTRAL = bytes(32)


class Kind(IntEnum):
    """What a tagged ciphertext is."""

    POLYMORPHIC = 1  # Enc_Y(M); never leaves the pseudonym service in this deployment
    ENCRYPTED = 2  # EP_d issued into an audience, or produced under a link grant: single use
    REFERENCE = 3  # a domain's stored reference: converts only under a link grant


class InvalidTagError(ValueError):
    """The bytes are not a well-formed tagged pseudonym, or its tag does not verify."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class TaggedPseudonym:
    """A ciphertext with the facts its tag binds, and the tag itself."""

    kind: Kind
    ciphertext: bytes  # 96 bytes b || c || Y
    audience: str
    requester: str
    grant_id: str
    key_version: str
    not_after_ms: int
    key_id: str
    signature: bytes = b""

    @property
    def not_after(self) -> datetime:
        """The expiry as a datetime."""
        return datetime.fromtimestamp(self.not_after_ms / 1000, UTC)

    def message(self) -> bytes:
        """The exact bytes the tag signs."""
        return LABEL + self._body()

    def use_key(self) -> bytes:
        """What single use is keyed on: SHA-256 of the signed message."""
        return hashlib.sha256(self.message()).digest()

    def to_bytes(self) -> bytes:
        """The wire form (see the module docstring)."""
        if len(self.signature) != SIGNATURE_BYTES:
            raise ValueError("an unsigned tagged pseudonym has no wire form")
        return bytes([FORMAT]) + self._body() + self.signature

    def parsed_ciphertext(self) -> Ciphertext:
        """The ciphertext as points."""
        return Ciphertext.from_bytes(self.ciphertext)

    def expired(self, now: datetime) -> bool:
        """Whether ``now`` is past the expiry."""
        return int(now.timestamp() * 1000) > self.not_after_ms

    def _body(self) -> bytes:
        return (
            bytes([int(self.kind)])
            + self.ciphertext
            + _lp(self.audience)
            + _lp(self.requester)
            + _lp(self.grant_id)
            + _lp(self.key_version)
            + struct.pack(">Q", self.not_after_ms)
            + _lp(self.key_id)
        )


def _lp(text: str) -> bytes:
    data = text.encode("ascii")
    if len(data) > MAX_TEXT:
        raise ValueError("a tag field is at most 255 characters")
    return struct.pack(">H", len(data)) + data


def _check_text(text: str) -> str:
    if len(text) > MAX_TEXT or not all(0x21 <= ord(ch) <= 0x7E for ch in text):
        raise ValueError("a tag field is printable ASCII without spaces, at most 255 characters")
    return text


def check_ciphertext(raw: bytes) -> Ciphertext:
    """A ciphertext with valid points none of which is the neutral element."""
    ciphertext = Ciphertext.from_bytes(raw)
    if _NEUTRAL in (ciphertext.b, ciphertext.c, ciphertext.public_key):
        raise InvalidEncodingError("a ciphertext point is the neutral element")
    return ciphertext


def sign(
    key: Ed25519PrivateKey,
    kind: Kind,
    ciphertext: bytes,
    *,
    audience: str,
    not_after: datetime,
    key_version: str,
    requester: str = "",
    grant_id: str = "",
) -> TaggedPseudonym:
    """Tag ``ciphertext`` with ``key``; the key id is derived from its public half."""
    if len(ciphertext) != CIPHERTEXT_BYTES:
        raise ValueError("a ciphertext is 96 bytes")
    unsigned = TaggedPseudonym(
        kind=kind,
        ciphertext=ciphertext,
        audience=_check_text(audience),
        requester=_check_text(requester),
        grant_id=_check_text(grant_id),
        key_version=_check_text(key_version),
        not_after_ms=int(not_after.timestamp() * 1000),
        key_id=tag_key_id(key.public_key()),
    )
    signature = key.sign(unsigned.message())
    return replace(unsigned, signature=signature)


def parse(raw: bytes) -> TaggedPseudonym:
    """The tagged pseudonym in ``raw``, strictly parsed; the signature is not checked here."""
    try:
        return _parse(raw)
    except InvalidTagError:
        raise
    except (ValueError, IndexError, struct.error, UnicodeDecodeError, InvalidEncodingError):
        raise InvalidTagError("not a tagged pseudonym", "UNTAGGED_PSEUDONYM") from None


def _parse(raw: bytes) -> TaggedPseudonym:
    if len(raw) < 2 + CIPHERTEXT_BYTES or raw[0] != FORMAT:
        raise ValueError("format")
    kind = Kind(raw[1])
    offset = 2 + CIPHERTEXT_BYTES
    ciphertext = raw[2:offset]
    check_ciphertext(ciphertext)
    texts = []
    for _ in range(4):
        text, offset = _read_text(raw, offset)
        texts.append(text)
    (not_after_ms,) = struct.unpack_from(">Q", raw, offset)
    offset += 8
    key_id, offset = _read_text(raw, offset)
    signature = raw[offset:]
    if len(signature) != SIGNATURE_BYTES:
        raise ValueError("signature")
    return TaggedPseudonym(
        kind, ciphertext, texts[0], texts[1], texts[2], texts[3], not_after_ms, key_id, signature
    )


def _read_text(raw: bytes, offset: int) -> tuple[str, int]:
    (length,) = struct.unpack_from(">H", raw, offset)
    start = offset + 2
    data = raw[start : start + length]
    if len(data) != length:
        raise ValueError("truncated")
    return _check_text(data.decode("ascii")), start + length


def verify(raw: bytes, keys: dict[str, Ed25519PublicKey], now: datetime) -> TaggedPseudonym:
    """The tagged pseudonym in ``raw`` if its tag verifies under a trusted key and is unexpired.

    ``keys`` maps key ids to the pseudonym service's tag public keys (more than one during a
    key's overlap window). Raises :class:`InvalidTagError` with reason ``UNTAGGED_PSEUDONYM``
    (malformed, or not a tagged pseudonym at all), ``TAG_KEY_UNKNOWN``, ``TAG_INVALID`` or
    ``TAG_EXPIRED``.
    """
    tagged = parse(raw)
    key = keys.get(tagged.key_id)
    if key is None:
        raise InvalidTagError("the tag names an unknown key", "TAG_KEY_UNKNOWN")
    try:
        key.verify(tagged.signature, tagged.message())
    except InvalidSignature:
        raise InvalidTagError("the tag does not verify", "TAG_INVALID") from None
    if tagged.expired(now):
        raise InvalidTagError("the tagged pseudonym has expired", "TAG_EXPIRED")
    return tagged


def tag_key_id(public_key: Ed25519PublicKey) -> str:
    """The key id of a tag public key: 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(public_key_bytes(public_key)).hexdigest()[:16]


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
