"""What the complaints service needs from outside, as interfaces the adapters implement.

The use cases depend on these ports only, so tests can give them fakes; ``bootstrap`` wires
:class:`stadskamer.client.PseudonymClient`, which satisfies :class:`Pseudonyms` as it is
(every RpcError is mapped to a domain error there, once), and the protobuf event encoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from stadskamer.client import Claim
from stadskamer.common.outbox import OutboxEvent
from stadskamer.complaints.domain import Complaint
from stadskamer.pep.tags import TaggedPseudonym


class Pseudonyms(Protocol):
    """The pseudonym service, as far as the complaints service uses it (its own token)."""

    def verify(self, tagged: bytes, field: str = "subject") -> TaggedPseudonym:
        """The tagged pseudonym if its tag verifies and has not expired; INVALID_ARGUMENT
        naming ``field`` otherwise (checked locally against the published tag keys)."""
        ...

    def claim(self, tagged: bytes, domain: str) -> Claim:
        """Claim a tagged pseudonym of ``domain`` once: its stored reference and the
        processing record's subject. A second claim is PERMISSION_DENIED (``TAG_SPENT``)."""
        ...

    def convert(self, tagged: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """``tagged`` converted into ``target_domain``; a stored reference of klachten into
        klachten gives a fresh one (a refresh), e.g. for an event."""
        ...

    def report_subjects(self, references: Sequence[bytes]) -> list[bytes]:
        """The processing-record subjects (tagged ``audit/klachten``) of stored references."""
        ...


class EventEncoder(Protocol):
    """Builds the outbox events the complaints service emits."""

    def complaint_closed(
        self, complaint: Complaint, event_id: str, occurred_at: datetime
    ) -> OutboxEvent:
        """The ComplaintClosed event of a closed complaint, stored without its subject: a
        fresh reference of the complainant is added at each delivery."""
        ...
