"""The gateway's channels to the services, shared by the REST routes and the history fan-out.

Both halves of the gateway reach the services the same way: one channel per distinct address,
carrying the trace context, the caller's token added per call. With TLS files
(``STADSKAMER_PEER_TLS_CA_FILE``, ``_CERT_FILE``, ``_KEY_FILE``) every channel uses mutual TLS:
it presents the gateway's client certificate and trusts only servers with a certificate of
the CA; without them the channels are plaintext.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc

from stadskamer.common.channels import open_raw_channel
from stadskamer.common.interceptors import ClientMetadataInterceptor
from stadskamer.common.server import MAX_MESSAGE_BYTES, TlsFiles

_OPTIONS = [
    ("grpc.keepalive_time_ms", 30000),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]


def open_channel(address: str, tls: TlsFiles | None) -> grpc.Channel:
    """A channel to ``address`` (mutual TLS when ``tls`` is given) carrying the trace context."""
    channel = open_raw_channel(address, tls, _OPTIONS)
    return grpc.intercept_channel(channel, ClientMetadataInterceptor(lambda: None))


def open_channels(addresses: Iterable[str], tls: TlsFiles | None) -> dict[str, grpc.Channel]:
    """One channel per distinct address, by address."""
    opened: dict[str, grpc.Channel] = {}
    for address in addresses:
        if address not in opened:
            opened[address] = open_channel(address, tls)
    return opened
