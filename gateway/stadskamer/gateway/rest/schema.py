"""Small builders for the OpenAPI 3.0 schemas of the REST API (the one description of it).

Every object is closed (``additionalProperties: false``): a request with an unknown field is
refused, and the contract tests fail when a response carries a field the document lacks.
"""

from __future__ import annotations

from typing import Any

from stadskamer.gateway.rest.codec import EnumCodec

Schema = dict[str, Any]
INT32_MAX = 2**31 - 1
BSN_PATTERN = "^[0-9]{8,9}$"
ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"
CODE_PATTERN = "^[a-z0-9][a-z0-9._-]{0,63}$"


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(description: str, properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    """A closed object."""
    schema: Schema = {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def text(description: str, **constraints: Any) -> Schema:
    """A string."""
    return {"type": "string", "description": description, **constraints}


def code(description: str) -> Schema:
    """A lowercase code such as a topic, domain or organisational unit."""
    return text(description, pattern=CODE_PATTERN, maxLength=64)


def moment(description: str) -> Schema:
    """An ISO-8601 date-time with a time zone."""
    return text(description, format="date-time")


def day(description: str) -> Schema:
    """An ISO-8601 calendar date."""
    return text(description, format="date")


def integer(description: str, minimum: int = 0, maximum: int = INT32_MAX) -> Schema:
    """A 32-bit whole number within bounds."""
    return {
        "type": "integer",
        "format": "int32",
        "description": description,
        "minimum": minimum,
        "maximum": maximum,
    }


def count(description: str) -> Schema:
    """A non-negative 64-bit count."""
    return {"type": "integer", "format": "int64", "description": description, "minimum": 0}


def number(description: str) -> Schema:
    """A floating-point number."""
    return {"type": "number", "format": "double", "description": description}


def share(description: str) -> Schema:
    """A share between 0 and 1."""
    return {**number(description), "minimum": 0, "maximum": 1}


def flag(description: str) -> Schema:
    """A boolean."""
    return {"type": "boolean", "description": description}


def array(description: str, items: Schema, max_items: int | None = None) -> Schema:
    """A list."""
    schema: Schema = {"type": "array", "description": description, "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def choice(description: str, codec: EnumCodec) -> Schema:
    """One value of an enum, as kebab-case text."""
    return text(description, enum=codec.choices)


def hexadecimal(description: str, size: int | None = None) -> Schema:
    """Bytes as lowercase hexadecimal text."""
    if size is None:
        return text(description, pattern="^([0-9a-f]{2})*$")
    return text(description, pattern=f"^[0-9a-f]{{{2 * size}}}$")


def page_token() -> Schema:
    """The opaque token of the next page; empty on the last page."""
    return text("Pass as `pageToken` for the next page; empty on the last page.", maxLength=2048)


CITIZEN_PROPERTIES: dict[str, Schema] = {
    "bsn": text(
        "The citizen's BSN (9 digits passing the 11-check). The gateway has it issued at once "
        "by the pseudonym service, with the caller's token (role `issuer`, counted against "
        "the caller's hourly issuance limit), into the one domain this route needs; it goes "
        "no further and is never stored or logged.",
        pattern=BSN_PATTERN,
    ),
    "taggedPseudonym": text(
        "Instead of `bsn`: a tagged pseudonym of the domain this route needs, as the pseudonym "
        "service issued it to the caller (exact bytes, base64). Each one is accepted once.",
        format="byte",
        maxLength=2048,
    ),
}
