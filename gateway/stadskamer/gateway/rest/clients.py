"""gRPC stubs of the services the REST routes call, and the pseudonym service's channel.

The channels are those of :mod:`stadskamer.gateway.channels` (one per distinct address, mutual
TLS when configured, as for the history fan-out); the caller's token is added per call
(:meth:`stadskamer.gateway.rest.operations.Call.rpc`). The pseudonym service is reached only
through the client library (:class:`stadskamer.client.PseudonymClient`, in
:mod:`stadskamer.gateway.rest.citizens`), so for it only the channel is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from stadskamer.api.audit.v1 import audit_pb2_grpc
from stadskamer.api.complaints.v1 import complaints_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2_grpc
from stadskamer.api.history.v1 import history_pb2_grpc
from stadskamer.api.surveys.v1 import surveys_pb2_grpc
from stadskamer.common.server import TlsFiles
from stadskamer.gateway.channels import open_channels
from stadskamer.gateway.rest.settings import Peers


@dataclass
class Stubs:
    """One stub per service (the pseudonym service: its channel)."""

    pseudonyms: grpc.Channel
    consent: consent_pb2_grpc.ConsentServiceStub
    contacts: contacts_pb2_grpc.ContactsServiceStub
    complaints: complaints_pb2_grpc.ComplaintsServiceStub
    audit: audit_pb2_grpc.ProcessingLogServiceStub
    surveys: surveys_pb2_grpc.SurveysServiceStub
    history: history_pb2_grpc.HistoryServiceStub
    channels: list[grpc.Channel]

    @classmethod
    def connect(cls, peers: Peers, tls: TlsFiles | None) -> Stubs:
        """Channels to every peer address (shared where addresses are equal)."""
        opened = open_channels(
            (
                peers.pseudonyms,
                peers.consent,
                peers.contacts,
                peers.complaints,
                peers.audit,
                peers.surveys,
                peers.history,
            ),
            tls,
        )
        return cls(
            pseudonyms=opened[peers.pseudonyms],
            consent=consent_pb2_grpc.ConsentServiceStub(opened[peers.consent]),
            contacts=contacts_pb2_grpc.ContactsServiceStub(opened[peers.contacts]),
            complaints=complaints_pb2_grpc.ComplaintsServiceStub(opened[peers.complaints]),
            audit=audit_pb2_grpc.ProcessingLogServiceStub(opened[peers.audit]),
            surveys=surveys_pb2_grpc.SurveysServiceStub(opened[peers.surveys]),
            history=history_pb2_grpc.HistoryServiceStub(opened[peers.history]),
            channels=list(opened.values()),
        )

    def close(self) -> None:
        """Close every channel."""
        for channel in self.channels:
            channel.close()
