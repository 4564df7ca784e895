"""The Merkle tree against the CT reference vectors and the independent RFC 9162 verifier."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadskamer.audit import merkle
from tests.unit.audit import rfc9162

# The Certificate Transparency reference tree (RFC 6962 test data, same hashing as RFC 9162).
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}


def _store(entries: list[bytes]) -> dict[merkle.NodeKey, bytes]:
    """Every perfect-subtree node of a tree, as the log writer stores them."""
    tree = merkle.CompactRange()
    nodes: dict[merkle.NodeKey, bytes] = {}
    for entry in entries:
        for level, index, digest in tree.append(merkle.leaf_hash(entry)):
            nodes[(level, index)] = digest
    return nodes


def _entries(count: int, salt: int = 0) -> list[bytes]:
    return [hashlib.sha256(f"{salt}/{i}".encode()).digest()[: 1 + i % 40] for i in range(count)]


def test_roots_match_the_certificate_transparency_reference() -> None:
    tree = merkle.CompactRange()
    assert tree.root().hex() == CT_ROOTS[0]
    nodes = _store(CT_LEAVES)
    for size in range(1, 9):
        tree.append(merkle.leaf_hash(CT_LEAVES[size - 1]))
        assert tree.root().hex() == CT_ROOTS[size]
        assert merkle.range_hash(0, size, nodes).hex() == CT_ROOTS[size]
        assert rfc9162.mth(CT_LEAVES[:size]).hex() == CT_ROOTS[size]


def test_inclusion_proofs_match_the_reference() -> None:
    nodes = _store(CT_LEAVES)
    for (index, size), expected in CT_INCLUSION.items():
        ranges = merkle.inclusion_ranges(index, size)
        assert [merkle.range_hash(s, e, nodes).hex() for s, e in ranges] == expected


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, 300),
    data=st.data(),
)
def test_every_inclusion_proof_verifies_independently(size: int, data: st.DataObject) -> None:
    entries = _entries(size, salt=size)
    nodes = _store(entries)
    tree_size = data.draw(st.integers(1, size), label="tree_size")
    index = data.draw(st.integers(0, tree_size - 1), label="index")
    root = rfc9162.mth(entries[:tree_size])
    assert merkle.range_hash(0, tree_size, nodes) == root
    ranges = merkle.inclusion_ranges(index, tree_size)
    path = [merkle.range_hash(s, e, nodes) for s, e in ranges]
    leaf = rfc9162.leaf(entries[index])
    assert rfc9162.verify_inclusion(index, tree_size, leaf, path, root)
    assert len(merkle.needed_nodes(ranges)) <= 2 * tree_size.bit_length()
    if path:
        broken = [*path[:-1], bytes(32)]
        assert not rfc9162.verify_inclusion(index, tree_size, leaf, broken, root)
    if tree_size > 1:
        other = (index + 1) % tree_size
        assert not rfc9162.verify_inclusion(other, tree_size, leaf, path, root)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_every_consistency_proof_verifies_independently(size: int, data: st.DataObject) -> None:
    entries = _entries(size, salt=size + 7)
    nodes = _store(entries)
    second = data.draw(st.integers(1, size), label="second")
    first = data.draw(st.integers(1, second), label="first")
    ranges = merkle.consistency_ranges(first, second)
    proof = [merkle.range_hash(s, e, nodes) for s, e in ranges]
    first_root, second_root = rfc9162.mth(entries[:first]), rfc9162.mth(entries[:second])
    assert rfc9162.verify_consistency(first, second, first_root, second_root, proof)
    assert len(merkle.needed_nodes(ranges)) <= 2 * second.bit_length()
    if first < second:
        changed = [*entries[: first - 1], b"forged", *entries[first:second]]
        forged_root = rfc9162.mth(changed[:second])
        assert not rfc9162.verify_consistency(first, second, first_root, forged_root, proof)
        assert not rfc9162.verify_consistency(first, second, second_root, second_root, proof)


@given(size=st.integers(1, 2000))
def test_the_compact_range_completes_exactly_the_nodes_ending_at_each_leaf(size: int) -> None:
    tree = merkle.CompactRange()
    for index in range(size - 1):
        tree.append(merkle.leaf_hash(b"%d" % index))
    completed = tree.append(merkle.leaf_hash(b"last"))
    keys = [(level, node) for level, node, _ in completed]
    expected = [(lv, (size - 1) >> lv) for lv in range(64) if size % (1 << lv) == 0]
    assert keys == expected
    assert len(tree.hashes) == bin(size).count("1")
    assert merkle.prefix_nodes(size) == merkle.perfect_cover(0, size)


@pytest.mark.parametrize(
    "plan",
    [
        lambda: merkle.inclusion_ranges(3, 3),
        lambda: merkle.consistency_ranges(0, 3),
        lambda: merkle.consistency_ranges(4, 3),
    ],
)
def test_proof_plans_refuse_impossible_sizes(plan: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        plan()


def test_equal_sizes_need_no_consistency_proof() -> None:
    assert merkle.consistency_ranges(5, 5) == []
