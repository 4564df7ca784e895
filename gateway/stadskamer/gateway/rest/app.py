"""The ASGI application: authentication, limits, input checks, and one endpoint per operation.

Per request, in this order: the bearer token is verified (401), the caller's token bucket is
asked (429 with Retry-After), the body is read within the size limit (413) and checked against
the published schema (400), then the handler calls the services as the caller in a worker
thread, within the request's time budget (504). Every response carries ``API-Version``; one
log line per request names the route template, status and duration, never the input.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stadskamer.common.auth import TokenVerifier
from stadskamer.common.errors import Unauthenticated
from stadskamer.gateway.rest.codec import BadInput
from stadskamer.gateway.rest.limits import TokenBuckets
from stadskamer.gateway.rest.openapi import API_VERSION, BASE_PATH
from stadskamer.gateway.rest.operations import Call, CitizenSource, Operation
from stadskamer.gateway.rest.problems import Problem
from stadskamer.gateway.rest.settings import Limits
from stadskamer.gateway.rest.validation import InputValidator

_log = logging.getLogger("stadskamer.http")
_BACKSTOP_SECONDS = 1.0
SECURITY_HEADERS = [
    (b"api-version", API_VERSION.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]


@dataclass(frozen=True)
class Caller:
    """A verified caller: the token, its rate-limit key, its domains in the token's order."""

    token: str
    key: str
    domains: tuple[str, ...] = ()


def _domains_in_order(token: str, verified: frozenset[str]) -> tuple[str, ...]:
    """The ``domains`` claim of a token already verified, in its order (only verified ones)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    listed = claims.get("domains", [])
    return tuple(dict.fromkeys(str(d) for d in listed if str(d) in verified))


class Edge:
    """What every endpoint shares: services, verifier, buckets, validator, limits."""

    def __init__(
        self,
        stubs: Any,
        citizens: CitizenSource,
        verifier: TokenVerifier,
        limits: Limits,
        validator: InputValidator,
    ) -> None:
        self.stubs = stubs
        self.citizens = citizens
        self.verifier = verifier
        self.limits = limits
        self.validator = validator
        self.buckets = TokenBuckets(limits.rate_per_second, limits.rate_burst)

    def authenticate(self, request: Request) -> Caller:
        """The caller's verified token, its rate-limit key and domains; 401 otherwise."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        try:
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated("a bearer token is required", "TOKEN_MISSING")
            principal = self.verifier.verify(token)
        except Unauthenticated as error:
            raise Problem(401, error.message, error.reason) from None
        key = principal.token_id or hashlib.sha256(token.encode()).hexdigest()
        return Caller(token, f"token:{key}", _domains_in_order(token, principal.domains))

    async def body(self, request: Request, schema_name: str) -> dict[str, Any]:
        """The JSON body within the size limit, checked against its schema."""
        limit = self.limits.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Problem(413, f"the body may be at most {limit} bytes", "BODY_TOO_LARGE")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, f"the body may be at most {limit} bytes", "BODY_TOO_LARGE")
            chunks.append(chunk)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            raise BadInput.field("body", "must be JSON (Content-Type: application/json)")
        try:
            data = json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError):
            raise BadInput.field("body", "must be a JSON document") from None
        self.validator.body(schema_name, data)
        return dict(data)


def endpoint(edge: Edge, operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    """The request handler of one operation."""
    path_params = [p for p in operation.params if p.where == "path"]
    query_params = [p for p in operation.params if p.where == "query"]

    async def handle(request: Request) -> Response:
        started = time.monotonic()
        try:
            caller = Caller("", f"client:{request.client.host if request.client else '-'}")
            if not operation.public:
                caller = edge.authenticate(request)
            wait = edge.buckets.take(caller.key)
            if wait:
                raise Problem(429, "too many requests", "RATE_LIMITED", retry_after=wait)
            body = await edge.body(request, operation.body) if operation.body else {}
            query = edge.validator.parameters(query_params, request.query_params)
            path = edge.validator.parameters(path_params, request.path_params)
            timeout = operation.timeout_seconds or edge.limits.timeout_seconds
            call = Call(
                path,
                query,
                body,
                caller.token,
                started + timeout,
                edge.stubs,
                edge.citizens,
                operation.aliases,
                caller.domains,
            )
            reply = await asyncio.wait_for(
                run_in_threadpool(operation.handler, call), timeout + _BACKSTOP_SECONDS
            )
            return JSONResponse(reply.body, reply.status)
        except BadInput as bad:
            return Problem.bad_input(bad).response(request.url.path)
        except Problem as problem:
            return problem.response(request.url.path)
        except TimeoutError:
            problem = Problem(504, "the request took too long", "DEADLINE_EXCEEDED")
            return problem.response(request.url.path)

    handle.__name__ = operation.operation_id
    return handle


def api_routes(edge: Edge, operations: Sequence[Operation]) -> list[BaseRoute]:
    """One route per operation under ``/api/v1``."""
    return [
        Route(BASE_PATH + op.path, endpoint(edge, op), methods=[op.method]) for op in operations
    ]


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    detail = "no such route" if status == 404 else "this method is not allowed here"
    response = Problem(status, detail, "NO_ROUTE").response(request.url.path)
    allowed = exc.headers.get("Allow") if isinstance(exc, HTTPException) and exc.headers else None
    if allowed:
        response.headers["Allow"] = allowed
    return response


class EdgeMiddleware:
    """Adds the API version and security headers, logs one line, turns crashes into 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status, sent = message["status"], True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as error:
            frames = "".join(traceback.format_tb(error.__traceback__))
            _log.error("unexpected %s (message withheld)\n%s", type(error).__name__, frames)
            if not sent:
                problem = Problem(500, "internal error", "INTERNAL")
                await problem.response(scope["path"])(scope, receive, send_with_headers)
        finally:
            template = getattr(scope.get("endpoint"), "__name__", "-")
            elapsed = (time.perf_counter() - started) * 1000
            _log.info(
                "http method=%s operation=%s status=%s duration_ms=%.2f",
                scope["method"],
                template,
                status,
                elapsed,
            )


def create_app(routes: list[BaseRoute]) -> Starlette:
    """The application with problem+json for unknown routes and methods."""
    app = Starlette(
        routes=routes, exception_handlers={404: _not_found, 405: _not_found}, debug=False
    )
    app.add_middleware(EdgeMiddleware)
    return app
