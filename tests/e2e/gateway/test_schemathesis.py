"""Schemathesis against the live ``openapi.json``: generated requests, no server errors.

Bounded: a few examples per operation, a fixed seed and a time budget. Every response must be
a documented status with a documented content type, headers and body; schema-violating input
must be refused, and so must a request without a token.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.gateway.support import Rest

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "ignored_auth",
        "missing_required_header",
        "unsupported_method",
    ]
)


def test_generated_requests_get_documented_answers_and_no_server_errors(
    rest: Rest, tmp_path: Path
) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{rest.root}/api/v1/openapi.json",
        "--header",
        f"Authorization: {rest.auth('fuzzer')['Authorization']}",
        "--checks",
        CHECKS,
        "--max-examples",
        "5",
        "--seed",
        "20261123",
        "--workers",
        "2",
        "--max-time",
        "40",
        "--generation-database",
        "none",
        "--no-color",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=180, cwd=tmp_path, check=False
    )
    tail = "\n".join(result.stdout.splitlines()[-80:])
    assert result.returncode == 0, tail + result.stderr[-2000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts is not None and counts.group(1) == counts.group(2) != "0", tail
