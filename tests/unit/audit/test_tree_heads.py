"""Signed tree heads: the signed encoding and the signature check."""

from __future__ import annotations

import struct
from dataclasses import replace
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.audit.tree_heads import LABEL, TreeHeadSigner

MOMENT = datetime(2026, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)


def test_the_signed_bytes_are_label_size_time_and_root() -> None:
    signer = TreeHeadSigner(Ed25519PrivateKey.generate(), lambda: MOMENT)
    signed = signer.sign(42, bytes(range(32)))
    expected = LABEL + struct.pack(">QQ", 42, int(MOMENT.timestamp() * 1000)) + bytes(range(32))
    assert signed.head.to_signed_bytes() == expected
    assert signed.head.time == MOMENT
    assert signed.verify(signer.public_key)
    assert len(signed.key_id) == 16


def test_any_change_or_another_key_breaks_the_signature() -> None:
    signer = TreeHeadSigner(Ed25519PrivateKey.generate(), lambda: MOMENT)
    signed = signer.sign(42, bytes(range(32)))
    for head in (
        replace(signed.head, tree_size=43),
        replace(signed.head, root_hash=bytes(32)),
        replace(signed.head, timestamp_ms=signed.head.timestamp_ms + 1),
    ):
        assert not replace(signed, head=head).verify(signer.public_key)
    assert not signed.verify(Ed25519PrivateKey.generate().public_key())
    assert not replace(signed, signature=bytes(64)).verify(signer.public_key)
