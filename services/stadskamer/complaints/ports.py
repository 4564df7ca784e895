"""What the complaints service needs from outside, as interfaces the adapters implement.

The use cases depend on these ports only, so unit tests can give them fakes and
``bootstrap`` wires the gRPC and protobuf adapters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from stadskamer.common.outbox import OutboxEvent
from stadskamer.complaints.domain import Complaint


class SubjectResolver(Protocol):
    """Turns a complainant's polymorphic or encrypted pseudonym into the ``klachten`` pseudonym."""

    def domain_pseudonym(self, polymorphic: bytes) -> bytes:
        """The 32-byte domain pseudonym.

        Raises ``InvalidArgument`` naming ``subject`` when the pseudonym service refuses the
        pseudonym, and ``Unavailable`` when it cannot be reached.
        """
        ...

    def open_encrypted(self, encrypted: bytes) -> bytes:
        """The 32-byte domain pseudonym inside an encrypted pseudonym of ``klachten``.

        Raises ``InvalidArgument`` naming ``encrypted_subject`` when it is not one (malformed,
        or under another domain's key).
        """
        ...


class EventEncoder(Protocol):
    """Builds the outbox events the complaints service emits."""

    def complaint_closed(
        self, complaint: Complaint, event_id: str, occurred_at: datetime
    ) -> OutboxEvent:
        """The ComplaintClosed event of a closed complaint (subject freshly encrypted)."""
        ...
