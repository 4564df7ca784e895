"""The history fan-out's peers over gRPC, each call made as the calling user.

The channels come from :mod:`stadskamer.gateway.channels`, as for the REST routes: mutual TLS
with the gateway's client certificate when the peer TLS files are configured. Contacts come
from the ContactsService, complaints (with their state, never their text) from the
ComplaintsService.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import grpc

from stadskamer.api.complaints.v1 import complaints_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2_grpc
from stadskamer.client import PseudonymClient
from stadskamer.common.server import TlsFiles
from stadskamer.common.status import from_rpc_error
from stadskamer.gateway.channels import open_channels
from stadskamer.gateway.history.adapters.items import (
    Citizen,
    complaint_items,
    complaints_request,
    contact_items,
    contacts_request,
)
from stadskamer.gateway.history.domain import Basis, BasisKind, HistoryItem, ItemKind, Source
from stadskamer.gateway.history.ports import Grant

TIMEOUT_SECONDS = 5.0
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


@dataclass(frozen=True)
class PeerChannels:
    """One channel per peer service (the same channel where they share an address)."""

    consent: grpc.Channel
    pseudonyms: grpc.Channel
    contacts: grpc.Channel
    complaints: grpc.Channel

    @classmethod
    def connect(
        cls,
        consent: str,
        pseudonyms: str,
        contacts: str,
        complaints: str,
        tls: TlsFiles | None = None,
    ) -> PeerChannels:
        """Channels to the four addresses (mutual TLS when ``tls`` is given), no own token."""
        opened = open_channels((consent, pseudonyms, contacts, complaints), tls)
        return cls(opened[consent], opened[pseudonyms], opened[contacts], opened[complaints])

    def close(self) -> None:
        """Close every distinct channel."""
        every = (self.consent, self.pseudonyms, self.contacts, self.complaints)
        for channel in {id(c): c for c in every}.values():
            channel.close()


class GrpcPeers:
    """Consent, pseudonym, contacts and complaints services, with the user's bearer token."""

    def __init__(self, channels: PeerChannels, bearer_token: str) -> None:
        self._metadata = (("authorization", f"Bearer {bearer_token}"),)
        self._consent = consent_pb2_grpc.ConsentServiceStub(channels.consent)
        self._pseudonyms = PseudonymClient(channels.pseudonyms, bearer_token, TIMEOUT_SECONDS)
        self._contacts = contacts_pb2_grpc.ContactsServiceStub(channels.contacts)
        self._complaints = complaints_pb2_grpc.ComplaintsServiceStub(channels.complaints)

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

    def convert(self, subject: bytes, target_domain: str, link_grant: str) -> bytes:
        """The target domain's tagged pseudonym of ``subject``, bound to the grant."""
        return self._pseudonyms.convert(subject, target_domain, link_grant)

    def own_items(
        self, source: Source, subject: bytes, start: datetime, limit: int
    ) -> list[HistoryItem]:
        """Items of the caller's own domain, by its tagged pseudonym (the service claims it)."""
        return self._items(source, Citizen(subject=subject), start, limit)

    def linked_items(
        self, source: Source, encrypted_subject: bytes, link_grant: str, start: datetime, limit: int
    ) -> list[HistoryItem]:
        """Items of another domain, under the grant."""
        citizen = Citizen(encrypted_subject=encrypted_subject, link_grant=link_grant)
        return self._items(source, citizen, start, limit)

    def _items(
        self, source: Source, citizen: Citizen, start: datetime, limit: int
    ) -> list[HistoryItem]:
        if source.kind is ItemKind.COMPLAINT:
            return self._pages(
                self._complaints.ListComplaints,
                complaints_request(citizen, start, limit),
                partial(complaint_items, source.domain),
                limit,
                "complaints",
            )
        return self._pages(
            self._contacts.ListContacts,
            contacts_request(source.domain, citizen, start, limit),
            contact_items,
            limit,
            "contacts",
        )

    def _pages(
        self,
        method: Callable[..., Any],
        request: Any,
        items_of: Callable[[Any], list[HistoryItem]],
        limit: int,
        service: str,
    ) -> list[HistoryItem]:
        """Every page of one list call (the same request, next page token), up to ``limit``."""
        found: list[HistoryItem] = []
        while True:
            try:
                page = method(request, metadata=self._metadata, timeout=TIMEOUT_SECONDS)
            except grpc.RpcError as error:
                raise from_rpc_error(error, service) from None
            found += items_of(page)
            if not page.next_page_token or len(found) >= limit:
                return found[:limit]
            request.page_token = page.next_page_token
