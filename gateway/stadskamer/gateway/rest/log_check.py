"""Verifying the processing log from the audit service's public contract alone.

What ``stadskamer audit verify`` does on the database, done here on what the service answers
(the gateway reads no database):

1. the newest signed tree head's Ed25519 signature, with the audit public key;
2. every record below that head's size, listed in leaf order (ListProcessing): no index
   missing, and its leaf hash recomputed from its content (the canonical leaf encoding);
3. the Merkle root recomputed from those leaf hashes must equal the signed root. Where a
   prefix was pruned, the subtrees covering it come from the inclusion proof of the first
   record kept (its left siblings);
4. the head must extend the last head this gateway verified (an RFC 9162 consistency proof),
   so a log rewritten between two verifications is caught even if it was re-signed.

The database-only checks of ``audit verify`` (stored tree nodes, query columns against the
record data) need the database and are not repeated here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.audit.domain import encode_leaf
from stadskamer.audit.merkle import CompactRange, inclusion_ranges, leaf_hash, node_hash
from stadskamer.audit.messages import record_of
from stadskamer.audit.tree_heads import SignedTreeHead, TreeHead
from stadskamer.gateway.rest.operations import Call
from stadskamer.gateway.rest.problems import Problem

PAGE_SIZE = 1000


class Broken(Exception):
    """The log differs from what was signed; ``index`` is the first record concerned."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class Verification:
    """The outcome: the head checked, how many records, and the first difference if any."""

    head: pb.SignedTreeHead
    pruned: int
    checked: int
    problem: str = ""
    first_bad_index: int | None = None
    consistent_with_previous: bool | None = None

    @property
    def intact(self) -> bool:
        """Whether no difference was found."""
        return not self.problem


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether ``proof`` shows the tree of ``second`` extends ``first``."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def _signed(head: pb.SignedTreeHead) -> SignedTreeHead:
    moment = TreeHead(head.tree_size, bytes(head.root_hash), head.timestamp.ToMilliseconds())
    return SignedTreeHead(moment, bytes(head.signature), head.key_id)


class LogChecker:
    """Runs verifications; remembers the last head it found intact (for consistency)."""

    def __init__(self, public_key: Any | None) -> None:
        self._public_key = public_key
        self._lock = threading.Lock()
        self._last: pb.SignedTreeHead | None = None

    def verify(self, call: Call) -> Verification:
        """Verify the log as the caller (who needs the privacy-officer role to list it)."""
        if self._public_key is None:
            raise Problem(409, "no audit public key is configured", "AUDIT_KEY_NOT_CONFIGURED")
        head = call.rpc("audit", call.stubs.audit.GetTreeHead, pb.GetTreeHeadRequest())
        pruned, checked = 0, 0
        try:
            if not _signed(head).verify(self._public_key):
                raise Broken("the newest signed tree head has an invalid signature")
            pruned, checked = self._recompute(call, head)
            consistent = self._consistent(call, head)
        except Broken as broken:
            return Verification(head, pruned, checked, str(broken), broken.index)
        with self._lock:
            self._last = head
        return Verification(head, pruned, checked, consistent_with_previous=consistent)

    def _recompute(self, call: Call, head: pb.SignedTreeHead) -> tuple[int, int]:
        size, tree, checked = head.tree_size, None, 0
        for logged in self._records(call, size):
            index = logged.leaf_index
            if tree is None:
                tree = self._prefix(call, index, size)
            if index != tree.size:
                raise Broken(f"record {tree.size} is missing", tree.size)
            if leaf_hash(encode_leaf(record_of(logged))) != logged.leaf_hash:
                raise Broken(f"record {index}: its content does not match its leaf hash", index)
            tree.append(bytes(logged.leaf_hash))
            checked += 1
        if tree is None:
            if size:
                raise Broken(f"the log lists no records below its signed size {size}", 0)
            return 0, 0
        if tree.size != size:
            raise Broken(f"record {tree.size} is missing below the signed size {size}", tree.size)
        if tree.root() != head.root_hash:
            raise Broken(f"the records do not reproduce the signed tree head of size {size}")
        return size - checked, checked

    def _records(self, call: Call, size: int) -> Any:
        token = ""
        while True:
            request = pb.ListProcessingRequest(
                page_size=PAGE_SIZE,
                page_token=token,
                query_purpose=pb.QUERY_PURPOSE_SUPERVISION,
            )
            try:
                page = call.rpc("audit", call.stubs.audit.ListProcessing, request)
            except Problem as problem:
                if problem.code == "LOG_INCONSISTENT":
                    raise Broken("a stored record is damaged: the service cannot read it") from None
                raise
            for logged in page.records:
                if logged.leaf_index >= size:
                    return
                yield logged
            token = page.next_page_token
            if not token:
                return

    def _prefix(self, call: Call, first: int, size: int) -> CompactRange:
        """The compact range of a pruned prefix ``[0, first)``, from an inclusion proof."""
        if first == 0 or first >= size:
            return CompactRange()
        request = pb.GetInclusionProofRequest(leaf_index=first, tree_size=size)
        proof = call.rpc("audit", call.stubs.audit.GetInclusionProof, request)
        ranges = inclusion_ranges(first, size)
        if len(proof.inclusion_path) != len(ranges):
            raise Broken("the inclusion proof of the first kept record has the wrong length", first)
        left = sorted(
            (start, bytes(node))
            for (start, end), node in zip(ranges, proof.inclusion_path, strict=True)
            if end <= first
        )
        return CompactRange(first, [node for _, node in left])

    def _consistent(self, call: Call, head: pb.SignedTreeHead) -> bool | None:
        with self._lock:
            last = self._last
        if last is None or last.tree_size == 0 or last.tree_size > head.tree_size:
            if last is not None and last.tree_size > head.tree_size:
                raise Broken(f"the log shrank below the verified size {last.tree_size}")
            return None
        request = pb.GetConsistencyProofRequest(
            first_size=last.tree_size, second_size=head.tree_size
        )
        proof = call.rpc("audit", call.stubs.audit.GetConsistencyProof, request)
        path = [bytes(p) for p in proof.consistency_path]
        if not verify_consistency(
            last.tree_size, head.tree_size, bytes(last.root_hash), bytes(head.root_hash), path
        ):
            raise Broken(
                f"the log does not extend the head of size {last.tree_size} verified before"
            )
        return True
