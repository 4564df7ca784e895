"""The server interceptors, always installed in this order (outermost first):

tracing → logging → auth → validation → error mapping.

Each wraps the behaviour of the RPC handler, so context variables it sets (the OpenTelemetry
span, the principal) are visible to the servicer. Auth and validation refuse through the same
status mapping that the innermost error-mapping interceptor uses for the servicer's errors.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import grpc
from google.protobuf.message import Message
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode

from stadskamer.common import status
from stadskamer.common.auth import TokenVerifier, acting_as
from stadskamer.common.errors import (
    FieldViolation,
    InvalidArgument,
    StadskamerError,
    Unauthenticated,
)
from stadskamer.common.telemetry import tracer
from stadskamer.common.timestamps import timestamp_violations

Behavior = Callable[[Any, grpc.ServicerContext], Any]
Around = Callable[[Behavior, str, Any, grpc.ServicerContext], Any]
Validator = Callable[[Any], Iterable[FieldViolation]]

ALWAYS_PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
_log = logging.getLogger("stadskamer.rpc")


def _wrap(
    handler: grpc.RpcMethodHandler[Any, Any], method: str, around: Around
) -> grpc.RpcMethodHandler[Any, Any]:
    def bind(behavior: Behavior) -> Behavior:
        return lambda request, context: around(behavior, method, request, context)

    kinds = {
        "unary_unary": grpc.unary_unary_rpc_method_handler,
        "unary_stream": grpc.unary_stream_rpc_method_handler,
        "stream_unary": grpc.stream_unary_rpc_method_handler,
        "stream_stream": grpc.stream_stream_rpc_method_handler,
    }
    for attribute, factory in kinds.items():
        behavior = getattr(handler, attribute)
        if behavior is not None:
            return factory(  # type: ignore[operator]
                bind(behavior),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
    return handler


class _AroundInterceptor(grpc.ServerInterceptor):
    """Base: calls :meth:`around` around every RPC behaviour."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        return _wrap(handler, handler_call_details.method, self.around)  # type: ignore[attr-defined]

    def around(
        self, behavior: Behavior, method: str, request: Any, context: grpc.ServicerContext
    ) -> Any:
        """Run ``behavior(request, context)``; subclasses add their work."""
        raise NotImplementedError


def _code_name(context: grpc.ServicerContext, failed: bool) -> str:
    code = context.code()  # type: ignore[attr-defined]
    if code is None:
        return "UNKNOWN" if failed else "OK"
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


class TracingInterceptor(_AroundInterceptor):
    """A server span per RPC, continuing the caller's W3C trace context."""

    def around(
        self, behavior: Behavior, method: str, request: Any, context: grpc.ServicerContext
    ) -> Any:
        carrier = {
            key: value for key, value in context.invocation_metadata() if isinstance(value, str)
        }
        service, _, name = method.lstrip("/").partition("/")
        with tracer().start_as_current_span(
            method.lstrip("/"),
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            failed = True
            try:
                result = behavior(request, context)
                failed = False
                return result
            finally:
                code = _code_name(context, failed)
                span.set_attribute("rpc.grpc.status_code", code)
                if code != "OK":
                    span.set_status(Status(StatusCode.ERROR))


class LoggingInterceptor(_AroundInterceptor):
    """One log line per RPC: method, status code and duration. Never the request."""

    def around(
        self, behavior: Behavior, method: str, request: Any, context: grpc.ServicerContext
    ) -> Any:
        started = time.perf_counter()
        failed = True
        try:
            result = behavior(request, context)
            failed = False
            return result
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            code = _code_name(context, failed)
            level = logging.INFO if code == "OK" else logging.WARNING
            _log.log(level, "rpc method=%s code=%s duration_ms=%.2f", method, code, elapsed)


class AuthInterceptor(_AroundInterceptor):
    """Verifies the bearer token and sets the principal; public methods pass without one."""

    def __init__(self, verifier: TokenVerifier, public_methods: AbstractSet[str]) -> None:
        self._verifier = verifier
        self._public = public_methods

    def around(
        self, behavior: Behavior, method: str, request: Any, context: grpc.ServicerContext
    ) -> Any:
        if method in self._public or method.startswith(ALWAYS_PUBLIC_PREFIXES):
            return behavior(request, context)
        metadata = dict(context.invocation_metadata())
        header = str(metadata.get("authorization", ""))
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("a bearer token is required", "TOKEN_MISSING")
            principal = self._verifier.verify(token.strip())
        except Unauthenticated as error:
            status.abort(context, error)
            raise  # abort raises; this only satisfies type checkers
        with acting_as(principal, token.strip()):
            return behavior(request, context)


class ValidationInterceptor(_AroundInterceptor):
    """Checks every Timestamp of the request, then the method's declared field validator."""

    def __init__(self, validators: Mapping[str, Validator]) -> None:
        self._validators = validators  # filled in by the server factory after binding

    def around(
        self, behavior: Behavior, method: str, request: Any, context: grpc.ServicerContext
    ) -> Any:
        validator = self._validators.get(method)
        if isinstance(request, Message):
            violations = list(timestamp_violations(request))
            if validator is not None and not violations:
                violations = list(validator(request))
            if violations:
                names = ", ".join(v.field for v in violations)
                status.abort(
                    context,
                    InvalidArgument(
                        f"invalid request: {names}", "INVALID_FIELD", violations=violations
                    ),
                )
        return behavior(request, context)


class ErrorMappingInterceptor(_AroundInterceptor):
    """Turns every exception the servicer raises into the mapped status."""

    def around(
        self, behavior: Behavior, method: str, request: Any, context: grpc.ServicerContext
    ) -> Any:
        try:
            return behavior(request, context)
        except Exception as error:
            if context.code() not in (None, grpc.StatusCode.OK):  # type: ignore[attr-defined]
                raise  # already aborted with a status
            if not isinstance(error, StadskamerError):
                frames = "".join(traceback.format_tb(error.__traceback__))
                _log.error(
                    "unexpected %s in %s (message withheld)\n%s",
                    type(error).__name__,
                    method,
                    frames,
                )
            status.abort(context, error)
            raise


def server_interceptors(
    verifier: TokenVerifier,
    public_methods: AbstractSet[str],
    validators: Mapping[str, Validator],
) -> list[grpc.ServerInterceptor]:
    """The interceptor chain in the fixed order."""
    return [
        TracingInterceptor(),
        LoggingInterceptor(),
        AuthInterceptor(verifier, public_methods),
        ValidationInterceptor(validators),
        ErrorMappingInterceptor(),
    ]


def _trace_metadata() -> list[tuple[str, str]]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return list(carrier.items())


class ClientMetadataInterceptor(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Adds the bearer token and the current trace context to every outgoing call."""

    def __init__(self, token_source: Callable[[], str | None]) -> None:
        self._token_source = token_source

    def intercept_unary_unary(
        self, continuation: Any, client_call_details: Any, request: Any
    ) -> Any:
        metadata = list(client_call_details.metadata or [])
        token = self._token_source()
        if token:
            metadata.append(("authorization", f"Bearer {token}"))
        metadata += _trace_metadata()
        details = client_call_details._replace(metadata=metadata)
        return continuation(details, request)
