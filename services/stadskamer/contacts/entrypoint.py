"""The gRPC servicer of the contacts service: converts proto ⇄ domain, holds no rule."""

from __future__ import annotations

import grpc

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.api.contacts.v1 import contacts_pb2_grpc as pb_grpc
from stadskamer.common.auth import current_principal
from stadskamer.common.interceptors import Validator
from stadskamer.contacts import messages
from stadskamer.contacts.queries import ContactQueries
from stadskamer.contacts.service import ContactsService

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ContactsService"].full_name

VALIDATORS: dict[str, Validator] = {
    f"/{SERVICE_NAME}/RegisterContact": messages.register_violations,
    f"/{SERVICE_NAME}/BatchRegisterContacts": messages.batch_violations,
    f"/{SERVICE_NAME}/GetContact": messages.get_violations,
    f"/{SERVICE_NAME}/ListContacts": messages.list_violations,
    f"/{SERVICE_NAME}/GetTopicSignals": messages.topic_signals_violations,
}


class ContactsServicer(pb_grpc.ContactsServiceServicer):
    """Maps the ContactsService RPCs onto the use cases."""

    def __init__(self, service: ContactsService, queries: ContactQueries) -> None:
        self._service = service
        self._queries = queries

    def RegisterContact(
        self, request: pb.RegisterContactRequest, context: grpc.ServicerContext
    ) -> pb.RegisterContactResponse:
        """Register one contact."""
        contact = self._service.register(current_principal(), messages.draft(request))
        return messages.registration(contact)

    def BatchRegisterContacts(
        self, request: pb.BatchRegisterContactsRequest, context: grpc.ServicerContext
    ) -> pb.BatchRegisterContactsResponse:
        """Register many contacts."""
        drafts = [messages.draft(item) for item in request.requests]
        contacts = self._service.register_batch(current_principal(), drafts)
        return pb.BatchRegisterContactsResponse(
            responses=[messages.registration(c) for c in contacts]
        )

    def GetContact(
        self, request: pb.GetContactRequest, context: grpc.ServicerContext
    ) -> pb.Contact:
        """One contact."""
        contact_id = messages.contact_id_of(request.name)
        return messages.contact_message(self._queries.get(current_principal(), contact_id))

    def ListContacts(
        self, request: pb.ListContactsRequest, context: grpc.ServicerContext
    ) -> pb.ListContactsResponse:
        """A page of contacts."""
        page = self._queries.list(current_principal(), messages.list_query(request))
        return pb.ListContactsResponse(
            contacts=[messages.contact_message(c) for c in page.contacts],
            next_page_token=page.next_page_token,
        )

    def GetTopicSignals(
        self, request: pb.GetTopicSignalsRequest, context: grpc.ServicerContext
    ) -> pb.GetTopicSignalsResponse:
        """Topic signals of a domain."""
        start, end, bucket = messages.topic_signals_query(request)
        report = self._queries.topic_signals(
            current_principal(), request.domain, start, end, bucket
        )
        return messages.report_message(report)
