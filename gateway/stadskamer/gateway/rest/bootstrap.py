"""Wiring of the HTTP gateway: services, operations, the OpenAPI document, screens, server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from stadskamer.common.keys import read_ed25519_public_key
from stadskamer.gateway.rest import (
    complaint_schemas,
    complaints,
    consent_schemas,
    consents,
    contact_schemas,
    contacts,
    history,
    processing,
    processing_schemas,
    survey_schemas,
    surveys,
)
from stadskamer.gateway.rest.app import Edge, api_routes, create_app
from stadskamer.gateway.rest.citizens import Citizens
from stadskamer.gateway.rest.clients import Stubs
from stadskamer.gateway.rest.log_check import LogChecker
from stadskamer.gateway.rest.openapi import document
from stadskamer.gateway.rest.operations import Call, Operation, Reply
from stadskamer.gateway.rest.server import HttpServer
from stadskamer.gateway.rest.settings import RestSettings
from stadskamer.gateway.rest.validation import InputValidator
from stadskamer.gateway.screens.routes import screen_routes

TAGS = {
    "contacts": "Customer contacts on every channel, and topic signals.",
    "complaints": "Complaints (klachten) and their handling under the Awb.",
    "surveys": "Satisfaction surveys: answers by token, insights, improvements.",
    "consents": "The purpose catalogue and the citizens' consents, with receipts.",
    "history": "A citizen's permitted contact history across domains.",
    "processing-log": "The tamper-evident processing log, for the privacy officer.",
    "meta": "This API's own description.",
}
SCHEMAS = {
    **contact_schemas.SCHEMAS,
    **complaint_schemas.SCHEMAS,
    **consent_schemas.SCHEMAS,
    **history.SCHEMAS,
    **processing_schemas.SCHEMAS,
    **survey_schemas.SCHEMAS,
    "OpenApiDocument": {
        "type": "object",
        "description": "An OpenAPI 3.0 document.",
        "additionalProperties": True,
    },
}


def all_operations(checker: LogChecker) -> list[Operation]:
    """Every operation, ``openapi.json`` first."""
    operations = [
        *contacts.OPERATIONS,
        *complaints.OPERATIONS,
        *surveys.OPERATIONS,
        *consents.OPERATIONS,
        *history.OPERATIONS,
        *processing.operations(checker),
    ]
    spec = document([_meta(lambda _call: Reply(200, {})), *operations], SCHEMAS, TAGS)

    def serve_document(_call: Call) -> Reply:
        return Reply(200, spec)

    return [_meta(serve_document), *operations]


def _meta(handler: Any) -> Operation:
    return Operation(
        "GET",
        "/openapi.json",
        "getOpenApiDocument",
        "meta",
        "This document",
        "The OpenAPI 3.0 description of every route and schema of this API.",
        handler,
        "OpenApiDocument",
        public=True,
        errors=(),
    )


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (the same one the gateway serves)."""
    return document(all_operations(LogChecker(None)), SCHEMAS, TAGS)


@dataclass
class RestGateway:
    """A started HTTP gateway."""

    server: HttpServer
    stubs: Stubs

    @property
    def port(self) -> int:
        """The bound HTTP port."""
        return self.server.port

    def stop(self) -> None:
        """Stop serving (requests in flight finish), then close the channels."""
        self.server.stop()
        self.stubs.close()


def build_app(settings: RestSettings, stubs: Stubs) -> Starlette:
    """The ASGI application for ``settings``."""
    key_file = settings.audit_public_key_file
    public_key = read_ed25519_public_key(key_file) if key_file and key_file.exists() else None
    operations = all_operations(LogChecker(public_key))
    spec = document(operations, SCHEMAS, TAGS)
    edge = Edge(
        stubs,
        Citizens(stubs.pseudonyms),
        settings.verifier(),
        settings.limits,
        InputValidator(spec["components"]),
    )
    return create_app([*api_routes(edge, operations), *screen_routes(edge)])


def start_rest_gateway(settings: RestSettings) -> RestGateway:
    """Connect to the services and serve HTTP on the settings' host and port."""
    stubs = Stubs.connect(settings.peers, settings.peer_tls)
    try:
        server = HttpServer(build_app(settings, stubs), settings.host, settings.port)
        server.start()
    except BaseException:
        stubs.close()
        raise
    return RestGateway(server, stubs)
