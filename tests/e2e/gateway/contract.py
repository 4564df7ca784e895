"""Calls operations by their ``operationId`` and checks each answer against ``openapi.json``."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft4Validator

from tests.e2e.gateway.support import Rest


def validate(document: Any, schema: dict[str, Any], components: dict[str, Any]) -> None:
    """Fail with every difference between ``document`` and ``schema``."""
    validator = Draft4Validator({**schema, "components": components})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == [], errors


class Contract:
    """The published document, and which of its operations were answered as described."""

    def __init__(self, rest: Rest) -> None:
        self.rest = rest
        response = rest.call("GET", "/openapi.json")
        self.spec: dict[str, Any] = response.json()
        self.operations: dict[str, tuple[str, str, dict[str, Any]]] = {
            operation["operationId"]: (path, method, operation)
            for path, methods in self.spec["paths"].items()
            for method, operation in methods.items()
        }
        self.answered: set[str] = set()

    def call(
        self,
        operation_id: str,
        path: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call the operation; check status, headers and body against the document."""
        template, method, operation = self.operations[operation_id]
        response = self.rest.call(
            method.upper(), template.format(**(path or {})), headers, **kwargs
        )
        success = next(code for code in operation["responses"] if code.startswith("2"))
        assert response.status_code == int(success), (operation_id, response.text)
        assert response.headers["API-Version"] == self.spec["info"]["version"]
        assert response.headers["content-type"].startswith("application/json")
        described = operation["responses"][success]["content"]["application/json"]["schema"]
        validate(response.json(), described, self.spec["components"])
        self.answered.add(operation_id)
        return response.json()

    def problem(self, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
        """A request that must fail with ``status`` as a described problem document."""
        response = self.rest.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["API-Version"] == self.spec["info"]["version"]
        body: dict[str, Any] = response.json()
        validate(body, {"$ref": "#/components/schemas/Problem"}, self.spec["components"])
        return body
