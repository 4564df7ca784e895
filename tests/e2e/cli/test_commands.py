"""The ``stadskamer`` command as a user runs it: real processes, real ports, real signals."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import grpc

from stadskamer.client import DomainKey, PseudonymClient
from stadskamer.common.auth import TokenVerifier

COMMAND = [sys.executable, "-m", "stadskamer.cli.main"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command to completion."""
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def start_up(data_dir: Path) -> tuple[subprocess.Popen[str], int, str]:
    """Start ``stadskamer up`` on a free port; return the process, port and dev token."""
    process = subprocess.Popen(
        [*COMMAND, "up", "--data-dir", str(data_dir), "--grpc-port", "0", "--http-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("Stop with Ctrl-C"):
            break
    text = "".join(lines)
    port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", text).group(1))  # type: ignore[union-attr]
    token = text.split("8 hours):\n", 1)[1].split("\n", 1)[0]
    return process, port, token


def test_keys_init_creates_private_files_and_token_issue_signs_with_them(tmp_path: Path) -> None:
    result = run("keys", "init", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    secrets = sorted((tmp_path / "keys").glob("*.secret"))
    assert len(secrets) == 3
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in secrets)
    issued = run(
        "token",
        "issue",
        "--data-dir",
        str(tmp_path),
        "--sub",
        "kcc-frontend",
        "--domain",
        "kcc",
        "--domain",
        "burgerzaken",
        "--role",
        "agent",
        "--ttl",
        "5m",
    )
    assert issued.returncode == 0, issued.stderr
    verifier = TokenVerifier.from_files(tmp_path / "keys" / "token-signing.pub.pem")
    principal = verifier.verify(issued.stdout.strip())
    assert principal.subject == "kcc-frontend"
    assert principal.domains == {"kcc", "burgerzaken"}
    exported = run("keys", "export", "--data-dir", str(tmp_path), "--domain", "kcc")
    assert exported.returncode == 0, exported.stderr
    assert DomainKey.from_file(tmp_path / "keys" / "domains" / "kcc.key.json").domain == "kcc"


def test_serve_without_required_settings_fails_with_a_clear_message(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STADSKAMER_")}
    result = run("serve", "pseudonyms", env=environ)
    assert result.returncode == 2
    assert "STADSKAMER_TOKEN_PUBLIC_KEY_FILE" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_world_readable_secrets(tmp_path: Path) -> None:
    assert run("keys", "init", "--data-dir", str(tmp_path)).returncode == 0
    keys = tmp_path / "keys"
    (keys / "rekey.secret").chmod(0o644)
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STADSKAMER_")},
        "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": str(keys / "token-signing.pub.pem"),
        "STADSKAMER_PSEUDONYMS_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "STADSKAMER_MASTER_SECRET_FILE": str(keys / "master.secret"),
        "STADSKAMER_PSEUDONYMISATION_SECRET_FILE": str(keys / "pseudonymisation.secret"),
        "STADSKAMER_REKEY_SECRET_FILE": str(keys / "rekey.secret"),
        "STADSKAMER_TAG_KEY_FILE": str(keys / "tag-signing.pem"),
        "STADSKAMER_PROCESSING_LOG_DIR": str(tmp_path / "processing-log"),
        "STADSKAMER_GRPC_PORT": "0",
    }
    result = run("serve", "pseudonyms", env=environ)
    assert result.returncode == 2
    assert "rekey.secret" in result.stderr and "chmod 600" in result.stderr
    assert not (tmp_path / "p.db").exists()


def test_up_serves_and_stops_gracefully_on_sigterm_finishing_in_flight_calls(
    tmp_path: Path,
) -> None:
    process, port, token = start_up(tmp_path / "var")
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        client = PseudonymClient(channel, token)
        reference = client.claim(client.issue_one("111222333", "kcc", "test"), "kcc").reference
        from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2 as pb
        from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc

        refresh = pb.TranscryptRequest(tagged_pseudonym=reference, target_domain="kcc")
        batch = pb.BatchTranscryptRequest(requests=[refresh] * 1000)
        in_flight = pb_grpc.PseudonymServiceStub(channel).BatchTranscrypt.future(
            batch, metadata=[("authorization", f"Bearer {token}")], timeout=30
        )
        time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert len(in_flight.result().responses) == 1000
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    stat_mode = stat.S_IMODE((tmp_path / "var").stat().st_mode)
    assert stat_mode & 0o077 == 0


def test_migrate_creates_every_database_of_the_embedded_setup(tmp_path: Path) -> None:
    result = run("migrate", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pseudonyms.db").exists()
    assert "migrated pseudonyms" in result.stdout


def test_trace_console_prints_rpc_and_database_spans(tmp_path: Path) -> None:
    spans_file = tmp_path / "spans.txt"
    with spans_file.open("w") as stderr:
        process = subprocess.Popen(
            [
                *COMMAND,
                "up",
                "--data-dir",
                str(tmp_path / "var"),
                "--grpc-port",
                "0",
                "--trace-console",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            assert process.stdout is not None
            text = ""
            while "Stop with Ctrl-C" not in text:
                text += process.stdout.readline()
            port = int(re.search(r"127\.0\.0\.1:(\d+)", text).group(1))  # type: ignore[union-attr]
            token = text.split("8 hours):\n", 1)[1].split("\n", 1)[0]
            client = PseudonymClient(grpc.insecure_channel(f"127.0.0.1:{port}"), token)
            client.claim(client.issue_one("111222333", "kcc", "test"), "kcc")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    spans = spans_file.read_text()
    assert '"name": "stadskamer.pseudonyms.v1.PseudonymService/Transcrypt"' in spans
    assert '"rpc.grpc.status_code": "OK"' in spans
    assert "111222333" not in spans


def test_import_against_up_has_the_bsns_issued_with_the_development_token(
    tmp_path: Path,
) -> None:
    process, port, token = start_up(tmp_path / "var")
    try:
        file = tmp_path / "contacts.csv"
        file.write_text(
            "domain,channel,topic,org_unit,occurred_at,bsn\n"
            "kcc,phone,afval,kcc-telefonie,2025-03-03T08:00:00Z,123456782\n"
            "burgerzaken,counter,paspoort,stadswinkel-noord,2025-03-03T09:00:00Z,123456782\n"
        )
        result = run("import", "--address", f"127.0.0.1:{port}", "--token", token, str(file))
        assert result.returncode == 0, result.stderr
        assert "imported 2 contacts (0 repeat contacts)" in result.stdout
        assert "123456782" not in result.stdout + result.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
