"""Attack: a local user other than Stadskamer's reads its database, key and state files.

Whoever shares the host (another account, a backup or monitoring agent, a compromised process
of another service) reads what others may read. Every folder under the data folder must be
0700 and every file 0600, from the first start and, for a data folder an older version left
looser, from the next start, whatever the umask (here the usual 022).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from tests.support.stack import Stack, running_stack


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The usual process umask (022), which leaves new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _modes(root: Path) -> dict[str, str]:
    """Every folder and file under ``root`` (itself included) with its permission bits."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def _loose(root: Path) -> dict[str, str]:
    """What is not exactly 0700 (folders) or 0600 (regular files)."""
    wrong = {}
    for name, mode in _modes(root).items():
        path = root / name
        wanted = "0o700" if path.is_dir() else "0o600"
        if mode != wanted:
            wrong[name] = mode
    return wrong


def _use(stack: Stack) -> None:
    """One ordinary call that reads a database: the processing log's signed tree head."""
    token = stack.token("witness", [], ["analyst"])
    stub = pb_grpc.ProcessingLogServiceStub(stack.channel)
    stub.GetTreeHead(pb.GetTreeHeadRequest(), metadata=[("authorization", f"Bearer {token}")])


def test_a_fresh_data_folder_holds_nothing_that_others_can_read(stack: Stack) -> None:
    _use(stack)
    files = {p.name for p in stack.data_dir.rglob("*") if p.is_file()}
    assert {"contacts.db", "contacts.db-wal", "contacts.db-shm", "master.secret"} <= files
    assert {"kcc.key.json", "token-signing.pem", "audit.db.migrate-lock"} <= files
    assert _loose(stack.data_dir) == {}


def test_a_start_tightens_a_data_folder_that_others_could_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "var"
    with running_stack(data_dir) as first:
        _use(first)
    for path in [data_dir, *data_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert stat.S_IMODE((data_dir / "contacts.db").stat().st_mode) == 0o644
    with caplog.at_level(logging.INFO, logger="stadskamer"), running_stack(data_dir) as again:
        _use(again)
        assert _loose(data_dir) == {}
    said = [r.getMessage() for r in caplog.records if "tightened" in r.getMessage()]
    assert len(said) == 1, said
    assert str(data_dir) in said[0] and "0700" in said[0] and "0600" in said[0]
