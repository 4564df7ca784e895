"""What the consent service's use cases need from the outside, as small interfaces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from stadskamer.client import Claim
from stadskamer.pep.tags import TaggedPseudonym


class Pseudonyms(Protocol):
    """The pseudonym service as the consent service calls it, with the consent service's token.

    :class:`stadskamer.client.PseudonymClient` is the implementation; its errors are domain
    errors already (UNAVAILABLE when the service cannot be reached).
    """

    def verify(self, tagged: bytes, field: str = "subject") -> TaggedPseudonym:
        """The tagged pseudonym if its tag verifies and has not expired; INVALID_ARGUMENT."""
        ...

    def convert(self, tagged: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """``tagged`` converted into ``target_domain``, tagged."""
        ...

    def claim(self, tagged: bytes, domain: str) -> Claim:
        """Claim a tagged pseudonym of ``domain`` once: a stored reference and a record subject."""
        ...

    def report_subjects(self, references: Sequence[bytes]) -> list[bytes]:
        """Processing-record subjects for stored references of the caller's domain."""
        ...
