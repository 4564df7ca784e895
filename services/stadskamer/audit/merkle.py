"""RFC 9162 Merkle tree hashing, proof plans and the compact range. Plain Python, no I/O.

The tree is stored as *perfect subtrees*: node ``(level, index)`` covers the leaves
``[index·2^level, (index+1)·2^level)``; level 0 holds the leaf hashes. Any hash the RFC needs
(a root, a proof element) is the Merkle tree hash of a range ``[start, end)`` whose start is
aligned, and such a range is the right fold of at most ``log2(n)`` perfect subtrees. A proof is
therefore computed in two steps: :func:`inclusion_ranges` / :func:`consistency_ranges` give the
ranges, :func:`perfect_cover` the stored nodes each range needs (O(log n) in all), and
:func:`fold` combines the fetched hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
NodeKey = tuple[int, int]
Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def perfect_cover(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees covering ``[start, end)`` from left to right, largest first."""
    keys: list[NodeKey] = []
    position = start
    while position < end:
        level = (position & -position).bit_length() - 1 if position else (end - 1).bit_length()
        while position + (1 << level) > end:
            level -= 1
        keys.append((level, position >> level))
        position += 1 << level
    return keys


def fold(hashes: list[bytes]) -> bytes:
    """The Merkle tree hash of a range from the hashes of its :func:`perfect_cover`."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def range_hash(start: int, end: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """``MTH(D[start:end])`` from stored perfect-subtree hashes (``KeyError`` if one lacks)."""
    return fold([nodes[key] for key in perfect_cover(start, end)])


def needed_nodes(ranges: Iterable[Range]) -> set[NodeKey]:
    """Every stored node the given ranges need."""
    return {key for start, end in ranges for key in perfect_cover(start, end)}


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form the inclusion path of leaf ``index`` (RFC 9162 §2.1.3.1).

    Ordered from the leaf's sibling up to the root's child.
    """
    if not 0 <= index < size:
        raise ValueError("the leaf index must be below the tree size")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes form the consistency proof (RFC 9162 §2.1.4.1).

    ``0 < first ≤ second``; equal sizes give an empty proof.
    """
    if not 0 < first <= second:
        raise ValueError("a consistency proof needs 0 < first <= second")
    proof: list[Range] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append((start, end))
    proof.reverse()
    return proof


def subtree_start(key: NodeKey) -> int:
    """The first leaf index a node covers."""
    level, index = key
    return index << level


def prefix_nodes(size: int) -> list[NodeKey]:
    """The maximal perfect subtrees of ``[0, size)``: what a pruned prefix must keep."""
    return perfect_cover(0, size)


@dataclass
class CompactRange:
    """The hashes of the maximal perfect subtrees of ``[0, size)``: enough to append and to
    compute the root, in O(log n) memory."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    @classmethod
    def from_nodes(cls, size: int, lookup: Callable[[list[NodeKey]], list[bytes]]) -> CompactRange:
        """Load from stored nodes: ``lookup`` returns the hashes of the given keys in order."""
        return cls(size, lookup(prefix_nodes(size)))

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return every node it completes as ``(level, index, hash)``."""
        index = self.size
        completed = [(0, index, leaf)]
        self.hashes.append(leaf)
        level = 0
        while (index >> level) & 1:
            right = self.hashes.pop()
            left = self.hashes.pop()
            level += 1
            merged = node_hash(left, right)
            self.hashes.append(merged)
            completed.append((level, index >> level, merged))
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The Merkle tree hash of the first :attr:`size` leaves."""
        return fold(self.hashes)

    def copy(self) -> CompactRange:
        """An independent copy."""
        return CompactRange(self.size, list(self.hashes))
