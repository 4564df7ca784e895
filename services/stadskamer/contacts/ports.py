"""What the contacts service needs from other services, as interfaces the adapters implement.

The use cases depend on these ports only, so unit tests can give them a fake and
``bootstrap`` wires the gRPC adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from stadskamer.common.outbox import OutboxEvent
from stadskamer.contacts.domain import Contact


class RejectedPseudonym(Exception):
    """The pseudonym service refused the item at ``index`` as malformed or foreign."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"item {index} refused: {reason}")
        self.index = index
        self.reason = reason


class PseudonymPort(Protocol):
    """Turns polymorphic pseudonyms into this service's domain pseudonyms."""

    def domain_pseudonyms(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """The 32-byte domain pseudonym of each (polymorphic pseudonym, domain), in order.

        Raises :class:`RejectedPseudonym` for an invalid polymorphic pseudonym, and
        ``Unavailable`` when the pseudonym service cannot be reached.
        """
        ...

    def with_record_subjects(self, items: Sequence[tuple[bytes, str]]) -> list[tuple[bytes, bytes]]:
        """Per item its domain pseudonym and that pseudonym freshly encrypted under the
        domain's public key: the subject of the processing record, which the audit service
        converts into its own domain. Raises as :meth:`domain_pseudonyms`.
        """
        ...

    def decrypt(self, encrypted: bytes, domain: str) -> bytes:
        """The domain pseudonym inside an encrypted pseudonym of ``domain``.

        Raises :class:`RejectedPseudonym` when it is not one (malformed, or another key).
        """
        ...


class ContactEvents(Protocol):
    """Builds the outbox events the contacts service emits."""

    def registered(self, contact: Contact) -> OutboxEvent:
        """The ContactRegistered event of a newly stored contact."""
        ...
