"""The gateway as users start it: inside ``stadskamer up``, and alone with ``serve gateway``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.stack import Stack

COMMAND = [sys.executable, "-m", "stadskamer.cli.main"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _until_answered(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, headers=headers, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_up_serves_the_rest_api_and_screens_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            *COMMAND,
            "up",
            "--data-dir",
            str(tmp_path / "var"),
            "--grpc-port",
            "0",
            "--http-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    text = ""
    try:
        while "Stop with Ctrl-C" not in text:
            line = process.stdout.readline()
            assert line, text
            text += line
        root = re.search(r"REST API and screens: (http://127\.0\.0\.1:\d+)/", text).group(1)  # type: ignore[union-attr]
        link = re.search(rf"{re.escape(root)}/kcc#token=(\S+)", text).group(1)  # type: ignore[union-attr]
        spec = httpx.get(f"{root}/api/v1/openapi.json", timeout=10)
        assert spec.status_code == 200 and spec.headers["API-Version"] == "1.0.0"
        purposes = httpx.get(f"{root}/api/v1/contacts", headers={"Authorization": f"Bearer {link}"})
        assert purposes.status_code == 200, purposes.text
        assert httpx.get(f"{root}/kcc", timeout=10).text.startswith("<!doctype html>")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{root}/api/v1/openapi.json", timeout=2)


def test_serve_gateway_runs_the_fan_out_and_the_rest_api_alone(stack: Stack) -> None:
    grpc_port, http_port = _free_port(), _free_port()
    environment = {
        **os.environ,
        "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": str(stack.data_dir / "keys" / "token-signing.pub.pem"),
        "STADSKAMER_PSEUDONYMS_ADDRESS": stack.address,
        "STADSKAMER_CONSENT_ADDRESS": stack.address,
        "STADSKAMER_CONTACTS_ADDRESS": stack.address,
        "STADSKAMER_PROCESSING_LOG_DIR": str(stack.data_dir / "gateway-log"),
        "STADSKAMER_GRPC_PORT": str(grpc_port),
        "STADSKAMER_HTTP_PORT": str(http_port),
    }
    environment.pop("STADSKAMER_AUDIT_ADDRESS", None)
    process = subprocess.Popen(
        [*COMMAND, "serve", "gateway"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{http_port}/api/v1"
    try:
        assert _until_answered(f"{root}/openapi.json").status_code == 200
        token = stack.token("agent-1", ["kcc"], ["agent", "issuer"])
        search = {
            "bsn": "111222333",
            "requesterDomain": "kcc",
            "purpose": "integrated-contact-history",
        }
        history = httpx.post(
            f"{root}/contact-histories/_search",
            json=search,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert history.status_code == 200, history.text
        assert history.json()["consultedDomains"] == [
            {"domain": "kcc", "basis": {"kind": "own-domain"}}
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
