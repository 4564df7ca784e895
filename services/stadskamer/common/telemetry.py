"""OpenTelemetry tracing: the SDK set up from the standard OTEL_* variables, and DB spans.

No exporter by default. ``OTEL_TRACES_EXPORTER=console`` (or the CLI's ``--trace-console``)
prints spans to standard error; ``otlp`` uses the OTLP exporter when that package is installed.
Span attributes never carry request content: only method names, status codes and SQL
statements with placeholders.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Engine

from stadskamer.common.settings import ConfigurationError

TRACER_NAME = "stadskamer"


def configure_tracing(service_name: str, console: bool = False) -> TracerProvider:
    """Install (once) and return the SDK tracer provider for this process."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        provider = current
    else:
        attributes = {"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)}
        provider = TracerProvider(resource=Resource.create(attributes))
        trace.set_tracer_provider(provider)
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if console or exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    elif exporter == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found]
                OTLPSpanExporter,
            )
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            raise ConfigurationError(
                "OTEL_TRACES_EXPORTER=otlp needs opentelemetry-exporter-otlp installed"
            ) from None
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter not in {"none", ""}:
        raise ConfigurationError(f"OTEL_TRACES_EXPORTER={exporter!r} is not supported")
    return provider


_tracers: dict[int, trace.Tracer] = {}


def tracer() -> trace.Tracer:
    """The Stadskamer tracer of the global provider, made once per provider (asking the
    provider for it on every span costs more than the span)."""
    provider = trace.get_tracer_provider()
    found = _tracers.get(id(provider))
    if found is None:
        found = _tracers[id(provider)] = provider.get_tracer(TRACER_NAME)
    return found


def current_trace_ids() -> tuple[bytes, bytes]:
    """The current trace id (16 bytes) and span id (8 bytes); zeros outside a span."""
    context = trace.get_current_span().get_span_context()
    return context.trace_id.to_bytes(16, "big"), context.span_id.to_bytes(8, "big")


def instrument_engine(engine: Engine, database_name: str) -> None:
    """Trace every statement executed on ``engine`` as a client span."""
    system = engine.dialect.name

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        operation = statement.lstrip().split(" ", 1)[0].upper()
        span = tracer().start_span(
            f"{operation} {database_name}",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": system,
                "db.namespace": database_name,
                "db.operation.name": operation,
                "db.query.text": statement[:2000],
            },
        )
        conn.info.setdefault("stadskamer_spans", []).append((span, time.perf_counter()))

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn: Any, *_: Any) -> None:
        _finish(conn, None)

    @event.listens_for(engine, "handle_error")
    def _error(context: Any) -> None:
        if context.connection is not None:
            _finish(context.connection, type(context.original_exception).__name__)


def _finish(conn: Any, error_type: str | None) -> None:
    spans: list[tuple[Span, float]] = conn.info.get("stadskamer_spans", [])
    if not spans:
        return
    span, _started = spans.pop()
    if error_type is not None:
        span.set_attribute("error.type", error_type)
        span.set_status(Status(StatusCode.ERROR))
    span.end()
