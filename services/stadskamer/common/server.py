"""The gRPC server factory shared by every service, and graceful shutdown.

A service contributes a :class:`Component` (its servicers, validators, public methods and a
close hook). :func:`build_server` binds the port first, so components that call peers on the
same server (as in ``stadskamer up``) can be built knowing that port, then adds health and
reflection and the interceptor chain. With a health port it also builds a second,
plaintext server that serves only ``grpc.health.v1`` (for probes that cannot speak TLS).
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from stadskamer.common import settings as env
from stadskamer.common.auth import DEFAULT_ISSUER, TokenVerifier
from stadskamer.common.interceptors import Validator, server_interceptors
from stadskamer.common.keys import read_private

_log = logging.getLogger("stadskamer.server")
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for mutual TLS: the CA that signs every party's certificate, and our own pair.

    A server with these serves TLS only and requires a client certificate signed by the CA; a
    client presents its certificate and trusts only servers with one signed by the CA.
    """

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], prefix: str = "STADSKAMER_TLS"
    ) -> TlsFiles | None:
        """``{prefix}_CA_FILE``, ``{prefix}_CERT_FILE``, ``{prefix}_KEY_FILE``: all or none."""
        names = (f"{prefix}_CA_FILE", f"{prefix}_CERT_FILE", f"{prefix}_KEY_FILE")
        values = [environ.get(name, "").strip() for name in names]
        if not any(values):
            return None
        for name, value in zip(names, values, strict=True):
            if not value:
                raise env.ConfigurationError(f"{name} is required with the other TLS files")
        return cls(Path(values[0]), Path(values[1]), Path(values[2]))

    def _pems(self) -> tuple[bytes, bytes, bytes]:
        try:
            return (
                self.ca_file.read_bytes(),
                self.cert_file.read_bytes(),
                read_private(self.key_file),
            )
        except OSError as error:
            raise env.ConfigurationError(f"cannot read a TLS file: {error}") from None

    def server_credentials(self) -> grpc.ServerCredentials:
        """Credentials that demand a client certificate signed by the CA."""
        ca, cert, key = self._pems()
        return grpc.ssl_server_credentials([(key, cert)], ca, require_client_auth=True)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """Credentials that present our certificate and trust only the CA."""
        ca, cert, key = self._pems()
        return grpc.ssl_channel_credentials(ca, key, cert)


@dataclass(frozen=True)
class ServerSettings:
    """Where a server listens and whose tokens it trusts.

    Environment: ``STADSKAMER_GRPC_HOST`` (default 127.0.0.1), ``STADSKAMER_GRPC_PORT``
    (50051), ``STADSKAMER_GRPC_THREADS`` (32), ``STADSKAMER_GRACE_SECONDS`` (10),
    ``STADSKAMER_TOKEN_PUBLIC_KEY_FILE`` and/or ``STADSKAMER_TOKEN_JWKS_FILE`` (one required),
    ``STADSKAMER_TOKEN_ISSUERS`` (default ``stadskamer-local``), and for mutual TLS
    ``STADSKAMER_TLS_CA_FILE``, ``STADSKAMER_TLS_CERT_FILE``, ``STADSKAMER_TLS_KEY_FILE``
    (all or none; none: plaintext), and ``STADSKAMER_HEALTH_PORT`` (default none): a second,
    plaintext port on the same host that serves only the standard health service
    (``grpc.health.v1``, the same status as the main port), for probes that cannot speak TLS.
    """

    host: str = "127.0.0.1"
    port: int = 50051
    threads: int = 32
    grace_seconds: float = 10.0
    token_public_key_file: Path | None = None
    token_jwks_file: Path | None = None
    token_issuers: frozenset[str] = frozenset({DEFAULT_ISSUER})
    tls: TlsFiles | None = None
    health_port: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ServerSettings:
        """Read from environment variables (see the class docstring)."""
        public_key = environ.get("STADSKAMER_TOKEN_PUBLIC_KEY_FILE", "").strip()
        jwks = environ.get("STADSKAMER_TOKEN_JWKS_FILE", "").strip()
        if not public_key and not jwks:
            raise env.ConfigurationError(
                "STADSKAMER_TOKEN_PUBLIC_KEY_FILE or STADSKAMER_TOKEN_JWKS_FILE is required"
            )
        health_port = environ.get("STADSKAMER_HEALTH_PORT", "").strip()
        return cls(
            host=env.text(environ, "STADSKAMER_GRPC_HOST", "127.0.0.1"),
            port=env.integer(environ, "STADSKAMER_GRPC_PORT", 50051),
            threads=env.integer(environ, "STADSKAMER_GRPC_THREADS", 32),
            grace_seconds=float(env.integer(environ, "STADSKAMER_GRACE_SECONDS", 10)),
            token_public_key_file=Path(public_key) if public_key else None,
            token_jwks_file=Path(jwks) if jwks else None,
            token_issuers=frozenset(
                env.names(environ, "STADSKAMER_TOKEN_ISSUERS", (DEFAULT_ISSUER,))
            ),
            tls=TlsFiles.from_env(environ),
            health_port=(
                env.integer(environ, "STADSKAMER_HEALTH_PORT", 0) if health_port else None
            ),
        )

    def verifier(self) -> TokenVerifier:
        """The token verifier for these settings."""
        return TokenVerifier.from_files(
            self.token_public_key_file, self.token_jwks_file, self.token_issuers
        )


@dataclass
class Component:
    """What one service contributes to a server."""

    name: str
    service_names: Sequence[str]
    register: Callable[[grpc.Server], None]
    validators: Mapping[str, Validator] = field(default_factory=dict)
    public_methods: frozenset[str] = frozenset()
    close: Callable[[], None] = lambda: None


@dataclass
class RunningServer:
    """A server with its port, components and health servicer, and the optional health-only
    server (plaintext, ``grpc.health.v1`` only) with its port."""

    server: grpc.Server
    port: int
    components: list[Component]
    health: health.HealthServicer
    health_server: grpc.Server | None = None
    health_port: int | None = None

    def start(self) -> None:
        """Start the server and, when there is one, the health-only server."""
        self.server.start()
        if self.health_server is not None:
            self.health_server.start()

    def stop(self, grace: float | None = 5.0) -> None:
        """Refuse new RPCs, let in-flight ones finish (up to ``grace`` s), close components.

        Health turns NOT_SERVING on both ports first; the health-only server stops last.
        """
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        if self.health_server is not None:
            self.health_server.stop(None).wait()
        for component in self.components:
            component.close()


def build_server(
    settings: ServerSettings,
    make_components: Callable[[int], list[Component]],
    reuse_port: bool = False,
) -> RunningServer:
    """Bind, build the components for the bound port, register everything; not yet started."""
    validators: dict[str, Validator] = {}
    public: set[str] = set()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="rpc"),
        interceptors=server_interceptors(settings.verifier(), public, validators),
        options=[
            ("grpc.so_reuseport", 1 if reuse_port else 0),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    address = f"{settings.host}:{settings.port}"
    if settings.tls is not None:
        port = server.add_secure_port(address, settings.tls.server_credentials())
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot listen on {settings.host}:{settings.port}")
    components = make_components(port)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    names = [health_pb2.DESCRIPTOR.services_by_name["Health"].full_name]
    for component in components:
        component.register(server)
        validators.update(component.validators)
        public.update(component.public_methods)
        for name in component.service_names:
            health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
            names.append(name)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection([*names, reflection.SERVICE_NAME], server)
    running = RunningServer(server, port, components, health_servicer)
    if settings.health_port is not None:
        running.health_server, running.health_port = _health_only_server(
            settings, health_servicer, reuse_port
        )
    return running


def _health_only_server(
    settings: ServerSettings, servicer: health.HealthServicer, reuse_port: bool
) -> tuple[grpc.Server, int]:
    """A plaintext server with only the health service, sharing the main server's status."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="health"),
        options=[("grpc.so_reuseport", 1 if reuse_port else 0)],
    )
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port(f"{settings.host}:{settings.health_port}")
    if port == 0:
        raise OSError(f"cannot listen on {settings.host}:{settings.health_port}")
    return server, port


def serve_until_signal(running: RunningServer, grace_seconds: float) -> None:
    """Start, then block until SIGTERM or SIGINT and stop gracefully."""
    stop = threading.Event()

    def _request_stop(signum: int, _frame: object) -> None:
        _log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    settle_garbage_collector()
    running.start()
    stop.wait()
    running.stop(grace_seconds)
    _log.info("stopped")


def settle_garbage_collector() -> None:
    """Collect once, then keep what start-up made (modules, descriptors, prepared statements)
    out of the cyclic collector's sight: its full passes during requests then stay short."""
    gc.collect()
    gc.freeze()
