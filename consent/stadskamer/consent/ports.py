"""What the consent service's use cases need from the outside, as small interfaces."""

from __future__ import annotations

from typing import Protocol


class SubjectResolver(Protocol):
    """Turns a citizen's pseudonym into the consent domain's pseudonym."""

    def consent_pseudonym(self, subject: bytes, subject_domain: str = "") -> bytes:
        """The 32-byte consent-domain pseudonym of the subject.

        ``subject`` is a polymorphic pseudonym, or an encrypted pseudonym of
        ``subject_domain`` when that is given.

        Raises INVALID_ARGUMENT (field ``subject``) for a pseudonym the transcryptor refuses
        and UNAVAILABLE when the pseudonym service cannot be reached.
        """
        ...
