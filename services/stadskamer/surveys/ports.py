"""What the surveys service needs from outside, as interfaces the adapters implement.

The use cases depend on these ports only, so unit and storage tests can give them fakes and
``bootstrap`` wires the gRPC, file, SMTP and database adapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from stadskamer.common.errors import PermissionDenied
from stadskamer.surveys.domain import AddressKind


class LinkDenied(PermissionDenied):
    """The consent service does not allow a pseudonym of another domain into onderzoek.

    ``reason`` is the consent service's denial (e.g. ``NO_RULE``, ``NEVER``): a permanent
    answer for this subject and purpose, not a failure to retry.
    """


class Subjects(Protocol):
    """Turns citizens' pseudonyms into the onderzoek domain pseudonym, and back for peers."""

    def own(self, polymorphic: bytes) -> bytes:
        """The 32-byte onderzoek pseudonym of a polymorphic pseudonym.

        INVALID_ARGUMENT naming ``subject`` for a pseudonym the transcryptor refuses,
        UNAVAILABLE when the pseudonym service cannot be reached.
        """
        ...

    def pushed(self, encrypted: bytes, source_domain: str) -> bytes:
        """The onderzoek pseudonym of another domain's encrypted pseudonym (from an event).

        Needs a link grant of the consent service for the purpose ``satisfaction-survey``;
        :class:`LinkDenied` when the consent service refuses it, UNAVAILABLE when a peer
        cannot be reached.
        """
        ...

    def encrypted(self, pseudonym: bytes) -> bytes:
        """The onderzoek pseudonym encrypted under the onderzoek public key (96 bytes, fresh)."""
        ...


@dataclass(frozen=True)
class GrantedConsent:
    """A consent the consent service recorded: its name and signed receipt."""

    name: str
    receipt: str


class Consents(Protocol):
    """The consent service's checks and the consents this service records for respondents."""

    def allowed(self, subject: bytes, subject_domain: str, purpose: str, target: str) -> bool:
        """Whether onderzoek may use ``subject`` for ``purpose`` with ``target``'s data.

        ``subject`` is a polymorphic pseudonym (``subject_domain`` empty) or an encrypted
        pseudonym of ``subject_domain``. UNAVAILABLE when the consent service cannot answer.
        """
        ...

    def grant_followup(
        self, request_id: str, encrypted: bytes, purpose_version: int
    ) -> GrantedConsent:
        """Record the respondent's ``survey-followup-call`` consent (self-service, web form).

        ``encrypted`` is the onderzoek pseudonym encrypted under the onderzoek public key.
        Idempotent by ``request_id``. The consent service's refusals propagate (e.g.
        FAILED_PRECONDITION for a superseded text version).
        """
        ...


@dataclass(frozen=True)
class Message:
    """One message to a citizen: the address it goes to and a text without personal data."""

    message_id: str
    kind: AddressKind
    address: str
    subject: str
    body: str


class Delivery(Protocol):
    """Hands messages to the mail or text-message system."""

    @property
    def kinds(self) -> frozenset[AddressKind]:
        """The kinds of address this delivery can reach."""
        ...

    def send(self, message: Message) -> None:
        """Hand one message over, or raise (the caller keeps the message pending)."""
        ...


class Scrubber(Protocol):
    """Makes erased values unrecoverable from the database files (e.g. SQLite's WAL)."""

    def scrub(self) -> None:
        """Run after a transaction that erased addresses or keys has committed."""
        ...
