"""What the audit service needs from other services, as an interface its adapter implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class RejectedSubject(Exception):
    """The subject at ``index`` is not a pseudonym of this deployment (refused or undecryptable),
    for ``reason`` (the ErrorInfo reason of the refusal)."""

    def __init__(self, index: int, reason: str = "MALFORMED_PSEUDONYM") -> None:
        super().__init__(f"subject {index} refused")
        self.index = index
        self.reason = reason


class SubjectResolver(Protocol):
    """Turns polymorphic pseudonyms into audit-domain pseudonyms."""

    def audit_pseudonyms(self, subjects: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """The 32-byte audit-domain pseudonym of each subject, in order.

        A subject is (polymorphic pseudonym, "") or (encrypted pseudonym, its domain).

        Raises :class:`RejectedSubject` for one the transcryptor refuses, and ``Unavailable``
        when the pseudonym service cannot be reached.
        """
        ...
