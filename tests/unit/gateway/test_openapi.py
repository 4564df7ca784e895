"""The OpenAPI document: complete, and following the rules the gateway promises."""

from __future__ import annotations

import re

from stadskamer.gateway.rest.bootstrap import openapi_document

DOCUMENT = openapi_document()
OPERATIONS = [
    (path, method, operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]


def test_every_operation_is_unique_and_every_success_carries_the_api_version() -> None:
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids)) >= 30
    for _, _, operation in OPERATIONS:
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert len(successes) == 1
        assert "API-Version" in operation["responses"][successes[0]]["headers"]


def test_errors_are_problem_json_and_every_reference_resolves() -> None:
    components = DOCUMENT["components"]
    for response in components["responses"].values():
        assert list(response["content"]) == ["application/problem+json"]
    text = str(DOCUMENT)
    for kind, name in re.findall(r"#/components/(\w+)/([\w-]+)", text):
        assert name in components[kind], name


def test_a_bsn_can_only_be_sent_in_a_body() -> None:
    for path, _, operation in OPERATIONS:
        assert "bsn" not in path.lower()
        for parameter in operation.get("parameters", []):
            assert "bsn" not in parameter["name"].lower()
            assert parameter["in"] in ("query", "path")
    bodies = [
        s for s in DOCUMENT["components"]["schemas"].values() if "bsn" in s.get("properties", {})
    ]
    assert len(bodies) >= 6


def test_paths_are_kebab_case_and_query_keys_camel_case() -> None:
    for path, _, operation in OPERATIONS:
        assert re.fullmatch(r"(/([a-z0-9-]+|\{[A-Za-z]+\}|_search|openapi\.json))+", path), path
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", parameter["name"])
