"""The history fan-out's peers over gRPC, each call made as the calling user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2, pseudonyms_pb2_grpc
from stadskamer.common.peers import peer_channel
from stadskamer.common.status import from_rpc_error
from stadskamer.gateway.history.domain import Basis, BasisKind, HistoryItem, ItemKind
from stadskamer.gateway.history.ports import Grant

TIMEOUT_SECONDS = 5.0
PAGE_SIZE = 200
_BASIS_KINDS = {
    consent_pb2.BASIS_KIND_OWN_DOMAIN: BasisKind.OWN_DOMAIN,
    consent_pb2.BASIS_KIND_CONSENT: BasisKind.CONSENT,
    consent_pb2.BASIS_KIND_LEGAL_BASIS: BasisKind.LEGAL_BASIS,
}


def basis_from_proto(basis: consent_pb2.Basis) -> Basis:
    """The domain form of the consent service's Basis message."""
    return Basis(
        _BASIS_KINDS.get(basis.kind, BasisKind.LEGAL_BASIS),
        basis.consent,
        basis.policy_rule,
        basis.legal_basis,
    )


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


@dataclass(frozen=True)
class PeerChannels:
    """One channel per peer service (the same channel where they share an address)."""

    consent: grpc.Channel
    pseudonyms: grpc.Channel
    contacts: grpc.Channel

    @classmethod
    def connect(cls, consent: str, pseudonyms: str, contacts: str) -> PeerChannels:
        """Channels to the three addresses that carry the trace context (no token of their own)."""
        opened: dict[str, grpc.Channel] = {}
        for address in (consent, pseudonyms, contacts):
            if address not in opened:
                opened[address] = peer_channel(address, lambda: None)
        return cls(opened[consent], opened[pseudonyms], opened[contacts])

    def close(self) -> None:
        """Close every distinct channel."""
        for channel in {id(c): c for c in (self.consent, self.pseudonyms, self.contacts)}.values():
            channel.close()


class GrpcPeers:
    """Consent, pseudonym and contacts services, called with the user's bearer token."""

    def __init__(self, channels: PeerChannels, bearer_token: str) -> None:
        self._metadata = (("authorization", f"Bearer {bearer_token}"),)
        self._consent = consent_pb2_grpc.ConsentServiceStub(channels.consent)
        self._pseudonyms = pseudonyms_pb2_grpc.PseudonymServiceStub(channels.pseudonyms)
        self._contacts = contacts_pb2_grpc.ContactsServiceStub(channels.contacts)

    def issue_link_grant(
        self, subject: bytes, purpose: str, requester_domain: str, target_domain: str
    ) -> Grant | None:
        """A grant, or None when the consent service refuses the link."""
        request = consent_pb2.IssueLinkGrantRequest(
            subject=subject,
            purpose=purpose,
            requester_domain=requester_domain,
            target_domain=target_domain,
        )
        try:
            response = self._consent.IssueLinkGrant(
                request, metadata=self._metadata, timeout=TIMEOUT_SECONDS
            )
        except grpc.RpcError as error:
            if isinstance(error, grpc.Call) and error.code() == grpc.StatusCode.PERMISSION_DENIED:
                return None
            raise from_rpc_error(error, "consent") from None
        return Grant(response.link_grant, basis_from_proto(response.basis))

    def transcrypt(self, subject: bytes, target_domain: str, link_grant: str) -> bytes:
        """The target domain's encrypted pseudonym, under the grant."""
        request = pseudonyms_pb2.TranscryptRequest(
            polymorphic_pseudonym=subject, target_domain=target_domain, link_grant=link_grant
        )
        try:
            response = self._pseudonyms.Transcrypt(
                request, metadata=self._metadata, timeout=TIMEOUT_SECONDS
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error, "pseudonyms") from None
        return bytes(response.encrypted_pseudonym)

    def own_items(
        self, domain: str, subject: bytes, start: datetime, limit: int
    ) -> list[HistoryItem]:
        """Contacts of the caller's own domain."""
        request = contacts_pb2.ListContactsRequest(domain=domain, subject=subject)
        return self._contacts_since(request, start, limit)

    def linked_items(
        self, domain: str, encrypted_subject: bytes, link_grant: str, start: datetime, limit: int
    ) -> list[HistoryItem]:
        """Contacts of another domain, under the grant."""
        request = contacts_pb2.ListContactsRequest(
            domain=domain, encrypted_subject=encrypted_subject, link_grant=link_grant
        )
        return self._contacts_since(request, start, limit)

    def _contacts_since(
        self, request: contacts_pb2.ListContactsRequest, start: datetime, limit: int
    ) -> list[HistoryItem]:
        request.start_time.CopyFrom(_timestamp(start))
        request.page_size = min(limit, PAGE_SIZE)
        items: list[HistoryItem] = []
        while True:
            try:
                page = self._contacts.ListContacts(
                    request, metadata=self._metadata, timeout=TIMEOUT_SECONDS
                )
            except grpc.RpcError as error:
                raise from_rpc_error(error, "contacts") from None
            items += [_contact_item(contact) for contact in page.contacts]
            if not page.next_page_token or len(items) >= limit:
                return items[:limit]
            request.page_token = page.next_page_token


def _contact_item(contact: contacts_pb2.Contact) -> HistoryItem:
    return HistoryItem(
        name=contact.name,
        occurred_at=contact.occurred_at.ToDatetime(tzinfo=UTC),
        domain=contact.domain,
        kind=ItemKind.CONTACT,
        channel=int(contact.channel),
        topic=contact.topic,
        org_unit=contact.org_unit,
    )
