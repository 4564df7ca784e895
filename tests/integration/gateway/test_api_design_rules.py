"""``openapi.json`` against the Logius API Design Rules linter (Spectral), with zero errors.

The ruleset is shared reference data beside the repository (``../shared``); a user's clone may
lack it, and then this test is skipped with a notice. In CI (``CI`` set) it is never skipped:
there ``../shared`` is beside the clone and ``npm ci`` has installed Spectral.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stadskamer.gateway.rest.bootstrap import openapi_document

ROOT = Path(__file__).resolve().parents[3]
RULESET = ROOT.parent / "shared" / "standards" / "logius-adr-ruleset.yaml"
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"
ERROR = 0


def _required(path: Path, what: str) -> None:
    if path.exists():
        return
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"CI must have {what} at {path}")
    pytest.skip(f"NOTICE: the API Design Rules lint did not run: {what} is absent ({path})")


def _lint(document: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(document, indent=1))
    report = folder / "spectral.json"
    result = subprocess.run(
        [str(SPECTRAL), "lint", "-r", str(RULESET), "-f", "json", "-o", str(report), str(spec)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert report.exists(), result.stderr
    findings: list[dict[str, Any]] = json.loads(report.read_text())
    return findings


def test_the_openapi_document_has_zero_errors_under_the_logius_ruleset(tmp_path: Path) -> None:
    _required(RULESET, "the Logius ruleset (../shared/standards)")
    _required(SPECTRAL, "Spectral (run `npm ci`)")
    findings = _lint(openapi_document(), tmp_path)
    errors = [
        f"{f['code']} at {f['path']}: {f['message']}" for f in findings if f["severity"] == ERROR
    ]
    assert errors == []


def test_the_linter_does_catch_a_broken_document(tmp_path: Path) -> None:
    _required(RULESET, "the Logius ruleset (../shared/standards)")
    _required(SPECTRAL, "Spectral (run `npm ci`)")
    broken = openapi_document()
    del broken["info"]["contact"]
    broken["paths"]["/Contact_Moments/"] = broken["paths"]["/contacts"]
    codes = {f["code"] for f in _lint(broken, tmp_path) if f["severity"] == ERROR}
    assert {"info-contact", "nlgov:paths-kebab-case", "path-keys-no-trailing-slash"} <= codes
