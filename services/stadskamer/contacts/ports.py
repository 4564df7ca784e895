"""What the contacts service needs from other services, as interfaces the adapters implement.

The use cases depend on these ports only, so tests can give them a fake; ``bootstrap`` wires
:class:`stadskamer.client.PseudonymClient`, which satisfies :class:`PseudonymPort` as it is
(every RpcError is mapped to a domain error there, once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from stadskamer.client import Claim
from stadskamer.common.outbox import OutboxEvent
from stadskamer.contacts.domain import Contact
from stadskamer.pep.tags import TaggedPseudonym


class PseudonymPort(Protocol):
    """The pseudonym service, as far as the contacts service uses it."""

    def verify(self, tagged: bytes, field: str = "subject") -> TaggedPseudonym:
        """The tagged pseudonym if its tag verifies and has not expired; INVALID_ARGUMENT
        naming ``field`` otherwise (checked locally against the published tag keys)."""
        ...

    def claim_many(self, items: Sequence[tuple[bytes, str]]) -> list[Claim]:
        """Claim each (tagged pseudonym, its own domain) once, in one call: per item the
        stored reference and the processing record's subject. A claim spends the pseudonym."""
        ...

    def convert(self, tagged: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """``tagged`` converted into ``target_domain``: for a stored reference of the caller's
        own domain, a fresh one (a refresh)."""
        ...

    def report_subjects(self, references: Sequence[bytes]) -> list[bytes]:
        """The processing-record subjects (tagged ``audit/<domain>``) of stored references."""
        ...


class ContactEvents(Protocol):
    """Builds the outbox events the contacts service emits."""

    def registered(self, contacts: Sequence[Contact]) -> list[OutboxEvent]:
        """The ContactRegistered events of newly stored contacts, in order, without their
        subjects (added at each delivery, refreshed)."""
        ...
