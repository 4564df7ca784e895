"""Request shape checks against the OpenAPI document itself.

Bodies and parameters are checked with the schemas that ``openapi.json`` publishes, so the
document and the behaviour cannot drift apart. Only the shape is checked here (types, required
fields, enums, lengths); the rules stay in the services. Descriptions never repeat the value
that was sent, which might be personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft4Validator, ValidationError

from stadskamer.common.errors import FieldViolation
from stadskamer.gateway.rest.codec import BadInput, timestamp
from stadskamer.gateway.rest.operations import Param
from stadskamer.gateway.rest.schema import Schema

MAX_VIOLATIONS = 20
_TYPES = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def _location(parts: Iterable[Any], base: str = "") -> str:
    path = base
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _describe(error: ValidationError) -> list[FieldViolation]:
    where = _location(error.absolute_path)
    keyword, expected = error.validator, error.validator_value
    if keyword == "required" and isinstance(error.instance, dict):
        missing = [name for name in expected if name not in error.instance]
        return [FieldViolation(_location([name], where), "required") for name in missing]
    return [FieldViolation(where or "body", _text(str(keyword), expected))]


def _text(keyword: str, expected: Any) -> str:
    if keyword == "type":
        return f"must be {_TYPES.get(str(expected), str(expected))}"
    if keyword == "enum":
        return "must be one of: " + ", ".join(str(v) for v in expected)
    bounds = {
        "maxLength": "must be at most {} characters",
        "minLength": "must be at least {} characters",
        "maximum": "must be at most {}",
        "minimum": "must be at least {}",
        "maxItems": "must have at most {} items",
        "minItems": "must have at least {} items",
    }
    if keyword in bounds:
        return bounds[keyword].format(expected)
    fixed = {
        "pattern": "has the wrong format",
        "additionalProperties": "has a property that is not defined",
    }
    return fixed.get(keyword, "is not valid")


def _violations(validator: Draft4Validator, value: Any) -> list[FieldViolation]:
    found: dict[FieldViolation, None] = {}
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path))):
        found.update(dict.fromkeys(_describe(error)))
    return list(found)[:MAX_VIOLATIONS]


class InputValidator:
    """Checks request bodies and parameters against the published schemas."""

    def __init__(self, components: Mapping[str, Any]) -> None:
        self._components = components
        self._bodies: dict[str, Draft4Validator] = {}

    def body(self, schema_name: str, data: Any) -> None:
        """BadInput naming every wrong field of a request body."""
        validator = self._bodies.get(schema_name)
        if validator is None:
            root = {"$ref": f"#/components/schemas/{schema_name}", "components": self._components}
            validator = self._bodies[schema_name] = Draft4Validator(root)
        found = _violations(validator, data)
        if found:
            raise BadInput(found)

    def parameters(self, params: Iterable[Param], raw: Mapping[str, str]) -> dict[str, Any]:
        """The typed values of the given parameters; BadInput naming every wrong one."""
        values: dict[str, Any] = {}
        found: list[FieldViolation] = []
        for param in params:
            text = raw.get(param.name)
            if text is None:
                if param.required:
                    found.append(FieldViolation(param.name, "required"))
                continue
            try:
                value = _typed(param.schema, text, param.name)
            except BadInput as bad:
                found += bad.violations
                continue
            errors = _violations(Draft4Validator(param.schema), value)
            found += [FieldViolation(param.name, v.description) for v in errors]
            values[param.name] = value
        if found:
            raise BadInput(found)
        return values


def _typed(schema: Schema, text: str, name: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise BadInput.field(name, "must be a whole number") from None
    if kind == "boolean":
        if text not in ("true", "false"):
            raise BadInput.field(name, "must be true or false")
        return text == "true"
    if schema.get("format") == "date-time":
        timestamp(text, name)
    return text
