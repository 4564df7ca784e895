"""Opening a channel to a peer, plaintext or mutual TLS: the one place both sides decide.

Used by the services' peer channels (:mod:`stadskamer.common.peers`) and the gateway's
channels. Mutual TLS presents our certificate and trusts only servers with a certificate of
the CA. The client side's files come from ``STADSKAMER_PEER_TLS_CA_FILE``,
``STADSKAMER_PEER_TLS_CERT_FILE`` and ``STADSKAMER_PEER_TLS_KEY_FILE`` (all or none; none:
plaintext).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import grpc

from stadskamer.common.server import TlsFiles

PEER_TLS_PREFIX = "STADSKAMER_PEER_TLS"


def peer_tls_from_env(environ: Mapping[str, str] | None = None) -> TlsFiles | None:
    """The client TLS files named by ``STADSKAMER_PEER_TLS_*`` (process environment default)."""
    return TlsFiles.from_env(os.environ if environ is None else environ, PEER_TLS_PREFIX)


def open_raw_channel(
    address: str, tls: TlsFiles | None, options: Sequence[tuple[str, Any]]
) -> grpc.Channel:
    """A channel to ``address``: mutual TLS with ``tls``, plaintext without."""
    if tls is None:
        return grpc.insecure_channel(address, options=list(options))
    return grpc.secure_channel(address, tls.channel_credentials(), options=list(options))
