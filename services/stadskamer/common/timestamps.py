"""Well-formedness of every ``google.protobuf.Timestamp`` in a request, checked once for all.

A Timestamp outside years 1-9999 or with nanos outside [0, 1e9) cannot be turned into a
``datetime``; the validation interceptor refuses such a request with INVALID_ARGUMENT naming
the field, so no servicer meets one.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.common.errors import FieldViolation

MIN_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z
MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
MAX_NANOS = 999_999_999


def _valid(stamp: Timestamp) -> bool:
    return MIN_SECONDS <= stamp.seconds <= MAX_SECONDS and 0 <= stamp.nanos <= MAX_NANOS


def timestamp_violations(message: Message, prefix: str = "") -> Iterator[FieldViolation]:
    """A violation for every ill-formed Timestamp set anywhere in ``message``."""
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue
        name = f"{prefix}{field.name}"
        repeated = field.is_repeated
        for index, item in enumerate(list(value) if repeated else [value]):
            path = f"{name}[{index}]" if repeated else name
            if isinstance(item, Timestamp):
                if not _valid(item):
                    yield FieldViolation(path, "not a valid time (years 1-9999)")
            else:
                yield from timestamp_violations(item, f"{path}.")
