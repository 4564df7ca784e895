"""What the surveys service needs from outside, as interfaces the adapters implement.

The use cases depend on these ports only, so unit and storage tests can give them fakes and
``bootstrap`` wires the gRPC, file, SMTP and database adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from stadskamer.client import Claim
from stadskamer.common.errors import PermissionDenied
from stadskamer.surveys.domain import AddressKind


class LinkDenied(PermissionDenied):
    """The consent service does not allow a pseudonym of another domain into onderzoek.

    ``reason`` is the consent service's denial (e.g. ``NO_RULE``, ``NEVER``): a permanent
    answer for this subject and purpose, not a failure to retry.
    """


class Pseudonyms(Protocol):
    """The pseudonym service, as far as the surveys service uses it (its own token).

    :class:`stadskamer.client.PseudonymClient` is the implementation; every RpcError is a
    domain error there already (UNAVAILABLE when the service cannot be reached).
    """

    def claim(self, tagged: bytes, domain: str) -> Claim:
        """Claim a tagged pseudonym of ``domain`` once: its stored reference and the
        processing record's subject. A second claim is PERMISSION_DENIED (``TAG_SPENT``)."""
        ...

    def convert(self, tagged: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """``tagged`` converted into ``target_domain`` (under ``link_grant``), tagged; a stored
        reference of onderzoek into onderzoek gives a fresh one (a refresh)."""
        ...

    def report_subjects(self, references: Sequence[bytes]) -> list[bytes]:
        """The processing-record subjects (tagged ``audit/onderzoek``) of stored references."""
        ...


@dataclass(frozen=True)
class GrantedConsent:
    """A consent the consent service recorded: its name and signed receipt."""

    name: str
    receipt: str


class Consents(Protocol):
    """The consent service's checks, link grants and the consents this service records."""

    def check(self, subject: bytes, purpose: str, target: str) -> str | None:
        """The name of the consent that lets onderzoek use ``subject`` for ``purpose`` with
        ``target``'s data, or None when there is none (or the link is not allowed).

        ``subject`` is a tagged pseudonym of onderzoek issued for the request. UNAVAILABLE
        when the consent service cannot answer.
        """
        ...

    def active(self, name: str) -> bool:
        """Whether the consent ``consents/{id}`` is active now (False for an unknown one)."""
        ...

    def push_grant(self, subject: bytes, sender: str) -> str:
        """A link grant to convert a pseudonym ``sender`` pushed in an event into onderzoek,
        for the purpose ``satisfaction-survey``.

        :class:`LinkDenied` when the consent service refuses it, UNAVAILABLE when it cannot
        be reached.
        """
        ...

    def grant_followup(
        self, request_id: str, subject: bytes, purpose_version: int
    ) -> GrantedConsent:
        """Record the respondent's ``survey-followup-call`` consent (self-service, web form).

        ``subject`` is a fresh reference of the respondent (a tagged onderzoek pseudonym).
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
