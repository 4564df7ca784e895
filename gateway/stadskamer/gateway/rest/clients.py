"""gRPC channels and stubs of the services the REST routes call.

One channel per distinct address, carrying the trace context; the caller's token is added per
call (:meth:`stadskamer.gateway.rest.operations.Call.rpc`). With TLS files configured the
channels use mutual TLS: the gateway presents its client certificate and trusts only the CA.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from stadskamer.api.audit.v1 import audit_pb2_grpc
from stadskamer.api.complaints.v1 import complaints_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2_grpc
from stadskamer.api.history.v1 import history_pb2_grpc
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc
from stadskamer.api.surveys.v1 import surveys_pb2_grpc
from stadskamer.common.interceptors import ClientMetadataInterceptor
from stadskamer.common.server import MAX_MESSAGE_BYTES, TlsFiles
from stadskamer.gateway.rest.settings import Peers

_OPTIONS = [
    ("grpc.keepalive_time_ms", 30000),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]


def open_channel(address: str, tls: TlsFiles | None) -> grpc.Channel:
    """A channel to ``address`` (mutual TLS when ``tls`` is given) carrying the trace context."""
    if tls is None:
        channel = grpc.insecure_channel(address, options=_OPTIONS)
    else:
        channel = grpc.secure_channel(address, tls.channel_credentials(), options=_OPTIONS)
    return grpc.intercept_channel(channel, ClientMetadataInterceptor(lambda: None))


@dataclass
class Stubs:
    """One stub per service."""

    pseudonyms: pseudonyms_pb2_grpc.PseudonymServiceStub
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
        opened: dict[str, grpc.Channel] = {}

        def channel(address: str) -> grpc.Channel:
            if address not in opened:
                opened[address] = open_channel(address, tls)
            return opened[address]

        return cls(
            pseudonyms=pseudonyms_pb2_grpc.PseudonymServiceStub(channel(peers.pseudonyms)),
            consent=consent_pb2_grpc.ConsentServiceStub(channel(peers.consent)),
            contacts=contacts_pb2_grpc.ContactsServiceStub(channel(peers.contacts)),
            complaints=complaints_pb2_grpc.ComplaintsServiceStub(channel(peers.complaints)),
            audit=audit_pb2_grpc.ProcessingLogServiceStub(channel(peers.audit)),
            surveys=surveys_pb2_grpc.SurveysServiceStub(channel(peers.surveys)),
            history=history_pb2_grpc.HistoryServiceStub(channel(peers.history)),
            channels=list(opened.values()),
        )

    def close(self) -> None:
        """Close every channel."""
        for channel in self.channels:
            channel.close()
