"""Retention: which leading range of the log may be pruned. Plain Python, no I/O.

A record may go once its processing activity's retention has passed since it was logged; the
log is pruned only as a whole leading range ``[0, p)``, so one record still within its
retention keeps everything after it. ``p`` is moreover the size of a signed tree head, so the
head over the pruned prefix is kept and verification and proofs of later records still work.
A record whose activity version the register no longer knows is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from stadskamer.audit.activities import ActivityRegister


def first_unexpired(
    records: Iterable[tuple[int, str, int, datetime]], register: ActivityRegister, now: datetime
) -> int | None:
    """The index of the first (index, activity, version, logged_at) still to keep, or None."""
    for index, activity, version, logged_at in records:
        retention = register.retention(activity, version)
        if retention is None or logged_at + retention > now:
            return index
    return None


def prune_point(pruned: int, keep_from: int, head_sizes: Iterable[int]) -> int | None:
    """The largest signed head size in ``(pruned, keep_from]``, or None: nothing to prune."""
    candidates = [size for size in head_sizes if pruned < size <= keep_from]
    return max(candidates, default=None)
