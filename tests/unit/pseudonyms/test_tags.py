"""Tagged pseudonyms: the exact wire form, strict parsing, and what a tag binds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from stadskamer import pep
from stadskamer.pep import tags

KEY = Ed25519PrivateKey.generate()
KEYS = {tags.tag_key_id(KEY.public_key()): KEY.public_key()}
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
Y = pep.public_key(pep.random_scalar())


def _ciphertext() -> bytes:
    return pep.encrypt(pep.identity_point("111222333"), Y).to_bytes()


def _tagged(**fields: object) -> tags.TaggedPseudonym:
    values: dict[str, object] = {
        "audience": "kcc",
        "not_after": NOW + timedelta(minutes=5),
        "key_version": "v1",
    }
    values.update(fields)
    return tags.sign(KEY, tags.Kind.ENCRYPTED, _ciphertext(), **values)  # type: ignore[arg-type]


def test_a_tag_round_trips_through_its_wire_form() -> None:
    tagged = _tagged(requester="kcc", grant_id="ab" * 16)
    assert tags.verify(tagged.to_bytes(), KEYS, NOW) == tagged


def test_the_signed_message_is_the_documented_layout() -> None:
    tagged = _tagged(requester="r", grant_id="g")
    message = tagged.message()
    assert message.startswith(b"stadskamer/tag/v1\x00\x02" + tagged.ciphertext)
    tail = message[len(b"stadskamer/tag/v1\x00") + 1 + 96 :]
    assert tail[:5] == b"\x00\x03kcc"
    assert tail[5:8] == b"\x00\x01r" and tail[8:11] == b"\x00\x01g"
    assert tail[11:15] == b"\x00\x02v1"
    assert int.from_bytes(tail[15:23], "big") == tagged.not_after_ms
    assert tail[23:25] == b"\x00\x10" and tail[25:] == tagged.key_id.encode()


def test_single_use_is_keyed_on_the_message_not_the_signature() -> None:
    tagged = _tagged()
    assert tagged.use_key() == __import__("hashlib").sha256(tagged.message()).digest()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_changed_byte_fails_verification(data: st.DataObject) -> None:
    wire = bytearray(_tagged().to_bytes())
    index = data.draw(st.integers(0, len(wire) - 1))
    wire[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(tags.InvalidTagError):
        tags.verify(bytes(wire), KEYS, NOW)


def test_trailing_or_missing_bytes_are_refused() -> None:
    wire = _tagged().to_bytes()
    for bad in (wire + b"\0", wire[:-1], b"", wire[:98]):
        with pytest.raises(tags.InvalidTagError) as raised:
            tags.verify(bad, KEYS, NOW)
        assert raised.value.reason == "UNTAGGED_PSEUDONYM"


def test_a_raw_ciphertext_is_not_a_tagged_pseudonym() -> None:
    with pytest.raises(tags.InvalidTagError) as raised:
        tags.verify(_ciphertext(), KEYS, NOW)
    assert raised.value.reason == "UNTAGGED_PSEUDONYM"


def test_an_expired_tag_and_an_unknown_key_are_refused() -> None:
    with pytest.raises(tags.InvalidTagError) as raised:
        tags.verify(_tagged().to_bytes(), KEYS, NOW + timedelta(minutes=6))
    assert raised.value.reason == "TAG_EXPIRED"
    other = Ed25519PrivateKey.generate()
    forged = tags.sign(
        other, tags.Kind.ENCRYPTED, _ciphertext(), audience="kcc", not_after=NOW, key_version="v1"
    )
    with pytest.raises(tags.InvalidTagError) as raised:
        tags.verify(forged.to_bytes(), KEYS, NOW)
    assert raised.value.reason == "TAG_KEY_UNKNOWN"


def test_a_signature_by_another_key_under_the_right_key_id_is_invalid() -> None:
    other = Ed25519PrivateKey.generate()
    genuine = _tagged()
    forged = tags.TaggedPseudonym(
        **{**genuine.__dict__, "signature": other.sign(genuine.message())}
    )
    with pytest.raises(tags.InvalidTagError) as raised:
        tags.verify(forged.to_bytes(), KEYS, NOW)
    assert raised.value.reason == "TAG_INVALID"


@pytest.mark.parametrize("position", [0, 1, 2])
def test_a_neutral_point_in_the_ciphertext_is_refused(position: int) -> None:
    parts = [_ciphertext()[i * 32 : (i + 1) * 32] for i in range(3)]
    parts[position] = bytes(32)
    tagged = tags.sign(
        KEY,
        tags.Kind.ENCRYPTED,
        b"".join(parts),
        audience="kcc",
        not_after=NOW + timedelta(minutes=1),
        key_version="v1",
    )
    with pytest.raises(tags.InvalidTagError):
        tags.verify(tagged.to_bytes(), KEYS, NOW)


def test_text_fields_refuse_spaces_and_non_ascii() -> None:
    for bad in ("k cc", "kcç", "x" * 256):
        with pytest.raises((ValueError, UnicodeEncodeError)):
            _tagged(audience=bad)
