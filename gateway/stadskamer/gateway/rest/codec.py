"""JSON ⇄ protobuf helpers of the REST mapping: times, enums, ids and field names.

JSON names are camelCase; enum values are the proto value names without their prefix, in
lower kebab-case (``CHANNEL_WEB_FORM`` is ``web-form``); times are ISO-8601 with a zone (UTC
``Z`` on output); resource names ``contacts/{id}`` become ``id``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.common.errors import FieldViolation

_SEGMENT = re.compile(r"[A-Za-z0-9_]+")
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)


class BadInput(Exception):
    """Request input the gateway cannot map; ``violations`` use the JSON field names."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        super().__init__(", ".join(v.field for v in violations))
        self.violations = violations

    @classmethod
    def field(cls, name: str, description: str) -> BadInput:
        """One bad field."""
        return cls([FieldViolation(name, description)])


def camel(snake: str) -> str:
    """``org_unit`` → ``orgUnit``."""
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def kebab(constant: str) -> str:
    """``WEB_FORM`` → ``web-form``."""
    return constant.lower().replace("_", "-")


def json_path(proto_path: str, aliases: Mapping[str, str]) -> str:
    """A proto field path (``items[3].org_unit``) in JSON names, ``aliases`` applied first."""
    if proto_path in aliases:
        return aliases[proto_path]
    return _SEGMENT.sub(
        lambda m: m.group(0) if m.group(0).isdigit() else camel(m.group(0)), proto_path
    )


def iso(stamp: Timestamp) -> str:
    """ISO-8601 in UTC with milliseconds, e.g. ``2026-03-01T09:30:00.000Z``."""
    moment = stamp.ToDatetime(tzinfo=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def put_time(target: dict[str, Any], key: str, message: Any, field: str) -> None:
    """Set ``target[key]`` to the ISO time of ``message.field`` when that field is set."""
    if message.HasField(field):
        target[key] = iso(getattr(message, field))


def timestamp(text: str, field: str) -> Timestamp:
    """A Timestamp of an ISO-8601 date-time with a zone; BadInput naming ``field`` otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise BadInput.field(field, "must be an ISO-8601 date-time with a time zone") from None
    if moment.tzinfo is None:
        raise BadInput.field(field, "must be an ISO-8601 date-time with a time zone")
    if moment.astimezone(UTC) < _EARLIEST:
        raise BadInput.field(field, "is too early")
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def resource_id(name: str) -> str:
    """The id part of a resource name (``contacts/abc`` → ``abc``)."""
    return name.rpartition("/")[2]


def unbase64(text: str, field: str) -> bytes:
    """Bytes of a standard base64 string; BadInput naming ``field`` otherwise."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadInput.field(field, "must be base64") from None


class EnumCodec:
    """One proto enum as kebab-case JSON strings (the ``*_UNSPECIFIED`` value has no name)."""

    def __init__(self, enum: Any, prefix: str) -> None:
        self._to_json: dict[int, str] = {}
        self._from_json: dict[str, int] = {}
        for name, number in enum.items():
            if name.endswith("_UNSPECIFIED"):
                continue
            text = kebab(name.removeprefix(prefix))
            self._to_json[int(number)] = text
            self._from_json[text] = int(number)

    @property
    def choices(self) -> list[str]:
        """Every JSON value, in enum order."""
        return list(self._from_json)

    def name(self, number: int) -> str | None:
        """The JSON value of a number; None for the unspecified value."""
        return self._to_json.get(int(number))

    def number(self, text: str, field: str) -> int:
        """The number of a JSON value; BadInput naming ``field`` for anything else."""
        if text not in self._from_json:
            raise BadInput.field(field, "must be one of: " + ", ".join(self.choices))
        return self._from_json[text]

    def put(self, target: dict[str, Any], key: str, number: int) -> None:
        """Set ``target[key]`` to the JSON value unless it is the unspecified value."""
        text = self.name(number)
        if text is not None:
            target[key] = text
