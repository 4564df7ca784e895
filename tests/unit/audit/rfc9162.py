"""An independent implementation of RFC 9162 §2.1, written from the RFC text for the tests.

It imports nothing from Stadskamer. ``mth`` is the recursive definition of §2.1.1;
``verify_inclusion`` follows §2.1.3.2 and ``verify_consistency`` §2.1.4.2 step by step.
"""

from __future__ import annotations

import hashlib


def _hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(entry: bytes) -> bytes:
    """MTH({d(0)}) = HASH(0x00 || d(0))."""
    return _hash(b"\x00" + entry)


def mth(entries: list[bytes]) -> bytes:
    """MTH(D_n) of §2.1.1 by its recursive definition."""
    n = len(entries)
    if n == 0:
        return _hash(b"")
    if n == 1:
        return leaf(entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return _hash(b"\x01" + mth(entries[:k]) + mth(entries[k:]))


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash: bytes, path: list[bytes], root: bytes
) -> bool:
    """§2.1.3.2: verify that ``leaf_hash`` is leaf ``leaf_index`` of the tree with ``root``."""
    # 1. leaf_index >= tree_size: fail.
    if leaf_index >= tree_size:
        return False
    # 2. fn = leaf_index, sn = tree_size - 1.
    fn, sn = leaf_index, tree_size - 1
    # 3. r = hash.
    r = leaf_hash
    # 4. for each p in the inclusion path:
    for p in path:
        # a. sn == 0: stop and fail.
        if sn == 0:
            return False
        # b. LSB(fn) set, or fn == sn:
        if fn & 1 or fn == sn:
            r = _hash(b"\x01" + p + r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _hash(b"\x01" + r + p)
        # c. right-shift both once.
        fn >>= 1
        sn >>= 1
    # 5. sn == 0 and r == root.
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """§2.1.4.2: verify that the tree of ``second`` leaves extends the tree of ``first``."""
    if first == second:  # §2.1.4: the proof between equal trees is empty.
        return not path and first_hash == second_hash
    if not 0 < first < second:
        return False
    # 1. empty path: fail.
    if not path:
        return False
    proof = list(path)
    # 2. first an exact power of 2: prepend first_hash.
    if first & (first - 1) == 0:
        proof.insert(0, first_hash)
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = first - 1, second - 1
    # 4. LSB(fn) set: right-shift both until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. fr = sr = first value.
    fr = sr = proof[0]
    # 6. for each subsequent value c:
    for c in proof[1:]:
        # a. sn == 0: stop and fail.
        if sn == 0:
            return False
        # b. LSB(fn) set or fn == sn:
        if fn & 1 or fn == sn:
            fr = _hash(b"\x01" + c + fr)
            sr = _hash(b"\x01" + c + sr)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _hash(b"\x01" + sr + c)
        # c. right-shift both once.
        fn >>= 1
        sn >>= 1
    # 7. fr == first_hash, sr == second_hash, sn == 0.
    return fr == first_hash and sr == second_hash and sn == 0
