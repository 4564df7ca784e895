"""The log verification's proof checks, against proofs made by the audit service's own code."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.audit.merkle import (
    CompactRange,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    range_hash,
)
from stadskamer.gateway.rest.log_check import LogChecker, verify_consistency


def _nodes(size: int) -> dict[tuple[int, int], bytes]:
    """Every perfect-subtree hash of a tree of ``size`` leaves, as the audit service stores."""
    tree = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    for index in range(size):
        for level, node, value in tree.append(
            leaf_hash(hashlib.sha256(bytes([index % 256, index // 256])).digest())
        ):
            nodes[(level, node)] = value
    return nodes


def _root(nodes: dict[tuple[int, int], bytes], size: int) -> bytes:
    return range_hash(0, size, nodes)


@given(st.integers(min_value=1, max_value=80), st.integers(min_value=0, max_value=80))
def test_consistency_proofs_of_the_audit_service_verify(first: int, extra: int) -> None:
    second = first + extra
    nodes = _nodes(second)
    proof = [range_hash(a, b, nodes) for a, b in consistency_ranges(first, second)]
    assert verify_consistency(first, second, _root(nodes, first), _root(nodes, second), proof)
    if proof:
        bent = [proof[0][::-1], *proof[1:]]
        assert not verify_consistency(
            first, second, _root(nodes, first), _root(nodes, second), bent
        )
    other = hashlib.sha256(b"rewritten").digest()
    assert not verify_consistency(first, second, other, _root(nodes, second), proof)


class _Stubs:
    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self.audit = self
        self._nodes = nodes

    def GetInclusionProof(
        self, request: pb.GetInclusionProofRequest
    ) -> pb.GetInclusionProofResponse:
        path = [
            range_hash(a, b, self._nodes)
            for a, b in inclusion_ranges(request.leaf_index, request.tree_size)
        ]
        return pb.GetInclusionProofResponse(inclusion_path=path)


class _Call:
    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self.stubs = _Stubs(nodes)

    def rpc(self, _peer: str, method: Any, request: Any) -> Any:
        return method(request)


@given(st.integers(min_value=2, max_value=70), st.data())
def test_a_pruned_prefix_is_rebuilt_from_the_first_kept_records_inclusion_proof(
    size: int, data: st.DataObject
) -> None:
    first = data.draw(st.integers(min_value=1, max_value=size - 1))
    nodes = _nodes(size)
    prefix = LogChecker(None)._prefix(_Call(nodes), first, size)  # type: ignore[arg-type]
    assert prefix.size == first
    for index in range(first, size):
        prefix.append(nodes[(0, index)])
    assert prefix.root() == _root(nodes, size)
