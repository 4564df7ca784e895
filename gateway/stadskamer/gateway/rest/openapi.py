"""``openapi.json``: the OpenAPI 3.0 document, written from the operations and schemas.

It follows the Dutch API Design Rules as the Logius linter checks them: the major version in
the server URL, an ``API-Version`` header on every success, ``application/problem+json`` with
``status``, ``title`` and ``detail`` on every error, 400 on every operation that takes input,
kebab-case paths and camelCase query keys, and dates with ``format: date``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stadskamer.gateway.rest.operations import Operation
from stadskamer.gateway.rest.schema import Schema, obj, ref, text

API_VERSION = "1.0.0"
BASE_PATH = "/api/v1"
_HEADER = {"$ref": "#/components/headers/API-Version"}
_RETRY = {"$ref": "#/components/headers/Retry-After"}
_ERROR_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "ContentTooLarge",
    429: "TooManyRequests",
    501: "NotImplemented",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_ERROR_TEXTS = {
    400: "The request is malformed; `invalidParams` names the fields.",
    401: "No valid bearer token.",
    403: "The token's roles or domains do not allow this.",
    404: "The resource does not exist, or the caller may not know that it does.",
    409: "The resource is not in a state that allows this (a gRPC FAILED_PRECONDITION or "
    "ALREADY_EXISTS).",
    413: "The request body is larger than the gateway accepts.",
    429: "Too many requests for this token; retry after `Retry-After` seconds.",
    501: "The service behind the route does not offer this operation.",
    502: "A service failed unexpectedly.",
    503: "A service is unavailable; retry after `Retry-After` seconds.",
    504: "A service did not answer in time.",
}
ALWAYS = (401, 429, 502, 503, 504)

PROBLEM = obj(
    "An error (RFC 9457). Never holds personal data.",
    {
        "type": text("A URI naming the problem type; `about:blank` here."),
        "title": text("The short title of the HTTP status."),
        "status": {"type": "integer", "format": "int32", "description": "The HTTP status."},
        "detail": text("What went wrong, for a developer."),
        "instance": text("The path of the request."),
        "code": text("A stable reason code (the gRPC ErrorInfo reason), e.g. `NO_CONSENT`."),
        "invalidParams": {
            "type": "array",
            "description": "The fields that are wrong, under their JSON names.",
            "items": obj(
                "One wrong field.",
                {"name": text("The field, e.g. `orgUnit`."), "reason": text("Why.")},
                ("name", "reason"),
            ),
        },
    },
    ("type", "title", "status", "detail"),
)


def _responses(operation: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {
        "description": operation.summary,
        "headers": {"API-Version": _HEADER},
        "content": {"application/json": {"schema": ref(operation.response)}},
    }
    codes = set(operation.errors) | set(ALWAYS)
    if operation.body is not None:
        codes |= {400, 413}
    if operation.params:
        codes.add(400)
    if operation.public:
        codes -= {401}
    responses: dict[str, Any] = {str(operation.status): success}
    for status in sorted(codes):
        responses[str(status)] = {"$ref": f"#/components/responses/{_ERROR_NAMES[status]}"}
    return responses


def _operation(operation: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "tags": [operation.tag],
        "summary": operation.summary,
        "description": operation.description,
        "responses": _responses(operation),
        "security": [] if operation.public else [{"bearerAuth": []}],
    }
    if operation.params:
        document["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required or p.where == "path",
                "description": p.description,
                "schema": p.schema,
            }
            for p in operation.params
        ]
    if operation.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(operation.body)}},
        }
    return document


def _error_response(status: int) -> dict[str, Any]:
    headers = {"API-Version": _HEADER}
    if status in (429, 503):
        headers["Retry-After"] = _RETRY
    return {
        "description": _ERROR_TEXTS[status],
        "headers": headers,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }


def document(
    operations: Iterable[Operation], schemas: Mapping[str, Schema], tags: Mapping[str, str]
) -> dict[str, Any]:
    """The whole OpenAPI document."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Stadskamer API",
            "version": API_VERSION,
            "description": (
                "REST/JSON access to the customer signals of the municipality: contacts, "
                "complaints, surveys, consents, the permitted contact history and the "
                "processing log. Every route maps onto the public gRPC contracts of the "
                "services, called with the caller's own bearer token. A BSN is accepted only "
                "in a request body and issued at once by the pseudonym service, as the caller, "
                "into the one domain the route needs."
            ),
            "contact": {
                "name": "Stadskamer",
                "email": "stadskamer@example.nl",
                "url": "https://example.nl/stadskamer",
            },
            "license": {"name": "EUPL-1.2", "url": "https://eupl.eu/1.2/nl/"},
        },
        "servers": [{"url": BASE_PATH, "description": "This gateway, major version 1."}],
        "tags": [{"name": name, "description": description} for name, description in tags.items()],
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM, **schemas},
            "responses": {_ERROR_NAMES[s]: _error_response(s) for s in _ERROR_NAMES},
            "headers": {
                "API-Version": {
                    "description": "The full version of the API (semantic versioning).",
                    "required": True,
                    "schema": {"type": "string", "example": API_VERSION},
                },
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "required": True,
                    "schema": {"type": "integer", "format": "int32", "minimum": 1},
                },
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "A token of the deployment (`stadskamer token issue`) or of the "
                        "configured OpenID Connect provider, with `domains` and `roles`."
                    ),
                }
            },
        },
    }
