"""Private files and folders: created 0700/0600 whatever the umask, looser ones tightened."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from stadskamer.common.db import make_engine
from stadskamer.common.file_modes import (
    create_private_folders,
    open_private,
    private_database,
    private_folder,
    private_tree,
)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """No umask at all: every mode below comes from the code."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def tightened(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "stadskamer.files"]


def test_folders_are_created_0700_with_their_missing_parents(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir(0o755)
    assert private_folder(tmp_path / "shared" / "a" / "b") == tmp_path / "shared" / "a" / "b"
    assert mode(tmp_path / "shared" / "a") == mode(tmp_path / "shared" / "a" / "b") == 0o700
    assert mode(tmp_path / "shared") == 0o755, "an existing parent is not ours to change"


def test_create_private_folders_leaves_an_existing_folder_alone(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir(0o755)
    create_private_folders(folder / "inner")
    assert mode(folder) == 0o755 and mode(folder / "inner") == 0o700


def test_a_looser_folder_is_tightened_and_said_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    folder.mkdir(0o775)
    with caplog.at_level(logging.WARNING, logger="stadskamer.files"):
        private_folder(folder)
        private_folder(folder)
    assert mode(folder) == 0o700
    assert tightened(caplog) == [f"tightened folder {folder} to mode 0700"]


def test_a_tree_is_tightened_all_the_way_down_in_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "var"
    (root / "keys" / "domains").mkdir(0o755, parents=True)
    for folder in (root, root / "keys", root / "keys" / "domains"):
        folder.chmod(0o755)
    (root / "contacts.db").write_bytes(b"")
    (root / "contacts.db").chmod(0o644)
    (root / "keys" / "domains" / "kcc.key.json").write_bytes(b"{}")
    (root / "keys" / "domains" / "kcc.key.json").chmod(0o666)
    (root / "read-only").write_bytes(b"")
    (root / "read-only").chmod(0o400)
    outside = tmp_path / "outside"
    outside.write_bytes(b"")
    outside.chmod(0o644)
    (root / "link").symlink_to(outside)
    with caplog.at_level(logging.WARNING, logger="stadskamer.files"):
        private_tree(root)
        private_tree(root)
    assert {mode(p) for p in (root, root / "keys", root / "keys" / "domains")} == {0o700}
    assert mode(root / "contacts.db") == mode(root / "keys" / "domains" / "kcc.key.json") == 0o600
    assert mode(root / "read-only") == 0o400, "an owner-only file keeps its mode"
    assert mode(outside) == 0o644, "a symbolic link is not followed"
    assert tightened(caplog) == [
        f"tightened 3 folders to mode 0700 and 2 files to mode 0600 under {root}"
    ]


def test_a_missing_tree_is_created_private(tmp_path: Path) -> None:
    private_tree(tmp_path / "new" / "var")
    assert mode(tmp_path / "new") == mode(tmp_path / "new" / "var") == 0o700


def test_open_private_creates_0600_and_tightens_an_existing_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fresh, old = tmp_path / "fresh", tmp_path / "old"
    os.close(open_private(fresh, os.O_WRONLY))
    old.write_bytes(b"kept")
    old.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="stadskamer.files"):
        os.close(open_private(old, os.O_RDONLY))
    assert mode(fresh) == mode(old) == 0o600
    assert old.read_bytes() == b"kept"
    assert tightened(caplog) == [f"tightened file {old} to mode 0600"]


def test_sqlite_makes_its_wal_and_shm_files_with_the_prepared_database_mode(
    tmp_path: Path,
) -> None:
    database = tmp_path / "service.db"
    private_database(database)
    assert database.exists() and mode(database) == 0o600
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    companions = [tmp_path / "service.db-wal", tmp_path / "service.db-shm"]
    assert all(mode(path) == 0o600 for path in companions)
    connection.close()


def test_looser_database_files_are_tightened_before_a_connection_opens_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "service.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").write_bytes(b"")
        Path(f"{database}{suffix}").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="stadskamer.files"):
        private_database(database)
    assert {mode(p) for p in tmp_path.iterdir()} == {0o600}
    assert len(tightened(caplog)) == 1


def test_a_database_in_a_missing_folder_is_left_for_sqlite_to_refuse(tmp_path: Path) -> None:
    private_database(tmp_path / "missing" / "service.db")
    assert not (tmp_path / "missing").exists()


def test_make_engine_keeps_every_sqlite_file_private(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'service.db'}", "test")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        files = {p.name: mode(p) for p in tmp_path.iterdir()}
    finally:
        engine.dispose()
    assert files == {"service.db": 0o600, "service.db-wal": 0o600, "service.db-shm": 0o600}
