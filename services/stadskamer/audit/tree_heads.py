"""Signed tree heads: the log's size and root at a time, signed with Ed25519.

The signed bytes are ``b"stadskamer-audit-sth-v1" || 0x00 || tree_size (uint64 big-endian) ||
timestamp in milliseconds since the epoch (uint64 big-endian) || root_hash (32 bytes)``.
Plain Python: no gRPC, no SQL.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stadskamer.audit.merkle import HASH_BYTES
from stadskamer.common.auth import key_id

LABEL = b"stadskamer-audit-sth-v1\x00"


@dataclass(frozen=True)
class TreeHead:
    """The tree's size and root hash at a time (milliseconds since the epoch)."""

    tree_size: int
    root_hash: bytes
    timestamp_ms: int

    def to_signed_bytes(self) -> bytes:
        """The canonical bytes the signature covers."""
        if len(self.root_hash) != HASH_BYTES:
            raise ValueError("a root hash is 32 bytes")
        return LABEL + struct.pack(">QQ", self.tree_size, self.timestamp_ms) + self.root_hash

    @property
    def time(self) -> datetime:
        """The timestamp as a UTC time."""
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree head with its Ed25519 signature and the signing key's id."""

    head: TreeHead
    signature: bytes
    key_id: str

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        """Whether the signature is valid for ``public_key``."""
        try:
            public_key.verify(self.signature, self.head.to_signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True


class TreeHeadSigner:
    """Signs tree heads with the audit log's Ed25519 key."""

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._key = private_key
        self._clock = clock
        self.key_id = key_id(private_key.public_key())

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The key that verifies this signer's heads."""
        return self._key.public_key()

    def sign(self, tree_size: int, root_hash: bytes) -> SignedTreeHead:
        """A head for ``tree_size`` and ``root_hash``, stamped now."""
        head = TreeHead(tree_size, root_hash, int(self._clock().timestamp() * 1000))
        return SignedTreeHead(head, self._key.sign(head.to_signed_bytes()), self.key_id)
