"""Hypothesis strategies for protobuf messages, built from their descriptors.

:func:`messages` draws a message field by field (nested messages to a bounded depth, repeated
fields, bytes of random lengths including the 32/64/96-byte sizes pseudonyms have, enums
including unknown numbers, extreme integers). :func:`mutations` takes a valid message and
replaces a few of its fields with drawn values or clears them.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

_F = FieldDescriptor
_INTS = {
    _F.TYPE_INT32: (-(2**31), 2**31 - 1),
    _F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    _F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    _F.TYPE_INT64: (-(2**63), 2**63 - 1),
    _F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    _F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    _F.TYPE_UINT32: (0, 2**32 - 1),
    _F.TYPE_FIXED32: (0, 2**32 - 1),
    _F.TYPE_UINT64: (0, 2**64 - 1),
    _F.TYPE_FIXED64: (0, 2**64 - 1),
}
MAX_DEPTH = 3


def _bytes() -> st.SearchStrategy[bytes]:
    sized = st.sampled_from([0, 1, 31, 32, 33, 64, 96, 200]).flatmap(
        lambda n: st.binary(min_size=n, max_size=n)
    )
    return st.one_of(st.binary(max_size=120), sized)


def _text() -> st.SearchStrategy[str]:
    interesting = st.sampled_from(
        ["", " ", "kcc", "klachten", "contacts/", "x" * 300, "\x00", "../../etc", "🙂", "-1"]
    )
    return st.one_of(st.text(max_size=60), interesting)


def scalar(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    """Values of one (non-repeated) field."""
    kind = field.type
    if kind in _INTS:
        low, high = _INTS[kind]
        return st.one_of(st.integers(low, high), st.sampled_from([0, 1, -1 if low else 0, high]))
    if kind == _F.TYPE_ENUM:
        largest = max(v.number for v in field.enum_type.values)
        return st.integers(-2, largest + 3)
    if kind == _F.TYPE_BOOL:
        return st.booleans()
    if kind in (_F.TYPE_FLOAT, _F.TYPE_DOUBLE):
        return st.floats(allow_nan=True, allow_infinity=True, width=32)
    if kind == _F.TYPE_STRING:
        return _text()
    if kind == _F.TYPE_BYTES:
        return _bytes()
    return messages(field.message_type, depth + 1)


def field_values(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    """Values of a field: a list for repeated fields."""
    if field.is_repeated:
        return st.lists(scalar(field, depth), max_size=3 if depth < MAX_DEPTH else 0)
    return scalar(field, depth)


def _assign(message: Message, field: FieldDescriptor, value: Any) -> None:
    if field.is_repeated:
        target = getattr(message, field.name)
        del target[:]
        if field.type == _F.TYPE_MESSAGE:
            for item in value:
                target.add().CopyFrom(item)
        else:
            target.extend(value)
    elif field.type == _F.TYPE_MESSAGE:
        getattr(message, field.name).CopyFrom(value)
    else:
        setattr(message, field.name, value)


@st.composite
def _message(draw: st.DrawFn, descriptor: Descriptor, depth: int) -> Message:
    message = message_factory.GetMessageClass(descriptor)()
    if depth > MAX_DEPTH:
        return message
    for field in descriptor.fields:
        if draw(st.booleans()):
            _assign(message, field, draw(field_values(field, depth)))
    return message


def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """Random messages of ``descriptor``."""
    return _message(descriptor, depth)


@st.composite
def mutations(draw: st.DrawFn, valid: Message) -> Message:
    """``valid`` with one to three fields replaced by drawn values or cleared."""
    message = type(valid)()
    message.CopyFrom(valid)
    fields = list(valid.DESCRIPTOR.fields)
    if not fields:
        return message
    for field in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3)):
        if draw(st.booleans()):
            message.ClearField(field.name)
        else:
            _assign(message, field, draw(field_values(field, 0)))
    return message
