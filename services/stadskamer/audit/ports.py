"""What the audit service needs from other services, as an interface its adapter implements."""

from __future__ import annotations

from typing import Protocol

from stadskamer.pep.tags import TaggedPseudonym


class TagVerifier(Protocol):
    """Checks tags with the pseudonym service's published tag keys
    (:meth:`stadskamer.client.PseudonymClient.verify`)."""

    def verify(self, tagged: bytes, field: str = "subject") -> TaggedPseudonym:
        """The tagged pseudonym if its tag verifies and has not expired.

        Raises INVALID_ARGUMENT naming ``field`` otherwise, and ``Unavailable`` when the tag
        keys cannot be fetched.
        """
        ...
