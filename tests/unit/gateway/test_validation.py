"""Request shape checks against the published schemas; never echoing what was sent."""

from __future__ import annotations

import pytest

from stadskamer.gateway.rest.bootstrap import openapi_document
from stadskamer.gateway.rest.codec import BadInput
from stadskamer.gateway.rest.contacts import OPERATIONS
from stadskamer.gateway.rest.validation import InputValidator

VALIDATOR = InputValidator(openapi_document()["components"])
LIST_PARAMS = next(op for op in OPERATIONS if op.operation_id == "listContacts").params


def _violations(schema: str, body: object) -> list[tuple[str, str]]:
    with pytest.raises(BadInput) as refused:
        VALIDATOR.body(schema, body)
    return [(v.field, v.description) for v in refused.value.violations]


def test_every_missing_and_wrong_field_is_named_once_in_json_terms() -> None:
    found = _violations(
        "NewContact",
        {"requestId": "r", "domain": "kcc", "channel": "fax", "bsn": "12345678901", "capture": 1},
    )
    assert ("topic", "required") in found and ("orgUnit", "required") in found
    assert ("occurredAt", "required") in found
    assert ("bsn", "has the wrong format") in found
    assert ("body", "has a property that is not defined") in found
    assert any(field == "channel" and "web-form" in text for field, text in found)
    assert len(found) == len(set(found))
    assert not [text for _, text in found if "12345678901" in text]


def test_nested_fields_and_types_are_named_with_their_path() -> None:
    found = _violations(
        "NewConsent",
        {
            "requestId": "r",
            "purpose": "p",
            "purposeVersion": "one",
            "capture": {"channel": "phone"},
        },
    )
    assert ("purposeVersion", "must be a whole number") in found
    assert ("capture.method", "required") in found


def test_query_parameters_are_typed_and_checked() -> None:
    values = VALIDATOR.parameters(LIST_PARAMS, {"pageSize": "20", "channel": "phone"})
    assert values == {"pageSize": 20, "channel": "phone"}
    with pytest.raises(BadInput) as refused:
        VALIDATOR.parameters(
            LIST_PARAMS, {"pageSize": "9999", "startTime": "gisteren", "topic": "", "channel": "x"}
        )
    fields = {v.field for v in refused.value.violations}
    assert fields == {"pageSize", "startTime", "topic", "channel"}
