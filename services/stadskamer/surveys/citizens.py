"""The citizens the surveys service hears of, kept as P_onderzoek with a stored reference.

- A request's ``subject`` (CreateInvitation, RecordObjection, WithdrawObjection, JoinPanel)
  is a tagged onderzoek pseudonym issued for that request: :meth:`Citizens.claim`.
- An event's ``encrypted_subject`` is a tagged pseudonym of the sender's domain (issued to a
  back office, or a fresh reference of the sender): :meth:`Citizens.pushed` asks the consent
  service for a push grant (requester onderzoek, target the sender's domain, purpose
  ``satisfaction-survey``, subject those bytes), has the bytes converted into onderzoek under
  it and claims the result. The event's bytes are not kept.
- A stored citizen is named in a processing record through its stored reference
  (:meth:`Citizens.record_subjects`), and shown to the consent service as a fresh copy of it
  (:meth:`Citizens.fresh`), never as the stored bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from stadskamer.client import DomainKey
from stadskamer.common import citizens
from stadskamer.common.citizens import Citizen
from stadskamer.surveys.domain import DOMAIN
from stadskamer.surveys.ports import Consents, Pseudonyms


class Citizens:
    """Claims, converts and names the surveys service's citizens."""

    def __init__(self, pseudonyms: Pseudonyms, consents: Consents, key: DomainKey) -> None:
        self._pseudonyms = pseudonyms
        self._consents = consents
        self._key = key

    def claim(self, tagged: bytes, field: str = "subject") -> Citizen:
        """A request's citizen, claimed once (see :func:`stadskamer.common.citizens.claim`)."""
        return citizens.claim(self._pseudonyms, tagged, self._key, field)

    def pushed(self, tagged: bytes, sender: str, field: str) -> Citizen:
        """An event's citizen, converted into onderzoek under a push grant and claimed.

        INVALID_ARGUMENT naming ``field`` for a pseudonym that is not one of ``sender``;
        :class:`stadskamer.surveys.ports.LinkDenied` when the consent service refuses the
        grant; UNAVAILABLE when a peer cannot be reached.
        """
        citizens.audience_of(tagged, field, (sender,))
        grant = self._consents.push_grant(tagged, sender)
        converted = self._pseudonyms.convert(tagged, DOMAIN, grant)
        return citizens.claim(self._pseudonyms, converted, self._key, field)

    def record_subjects(self, references: Sequence[bytes | None]) -> list[bytes]:
        """The processing-record subjects of stored citizens, in one call (empty for a
        citizen stored before references were kept)."""
        known = [r for r in references if r]
        subjects = iter(self._pseudonyms.report_subjects(known) if known else [])
        return [next(subjects) if r else b"" for r in references]

    def record_subject(self, reference: bytes | None) -> bytes:
        """:meth:`record_subjects` of one citizen."""
        return self.record_subjects([reference])[0]

    def fresh(self, reference: bytes) -> bytes:
        """A fresh reference of a stored citizen (rerandomized and tagged anew)."""
        return self._pseudonyms.convert(reference, DOMAIN)
