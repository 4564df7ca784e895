"""Private files and folders: folders 0700 and files 0600, whatever the umask.

Everything Stadskamer keeps on disk (the data folder, SQLite databases and their ``-wal``,
``-shm`` and ``-journal`` files, keys and certificates, migration lock files, processing logs,
outgoing messages) is for the user that runs it only. The modes are given at creation, not
left to the umask; a start that finds a looser file or folder tightens it and logs one line
(paths and counts, never content). Only group and other bits count as looser: a file that its
owner made read-only stays so.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
# The files SQLite creates beside a database; it gives them the database file's mode.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
_OTHERS = stat.S_IRWXG | stat.S_IRWXO

_log = logging.getLogger("stadskamer.files")


def create_private_folders(path: Path) -> Path:
    """Create ``path`` and its missing parents with mode 0700; existing ones are left alone."""
    missing: list[Path] = []
    level = path
    while not level.is_dir():
        missing.append(level)
        level = level.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(PRIVATE_FOLDER)
        except FileExistsError:
            continue  # another process made it at the same moment
        os.chmod(folder, PRIVATE_FOLDER)
    return path


def private_folder(path: Path) -> Path:
    """Create ``path`` (and missing parents) with mode 0700, or tighten it if it is looser."""
    create_private_folders(path)
    if _tighten(path, follow=True):
        _log.warning("tightened folder %s to mode 0700", path)
    return path


def private_tree(root: Path) -> Path:
    """A private folder ``root`` whose folders are 0700 and regular files 0600, all the way down.

    Symbolic links are not followed (what they point to is not this tree's). One log line
    says how many were tightened, when any were.
    """
    create_private_folders(root)
    folders = int(_tighten(root, follow=True))
    files = 0
    for current, folder_names, file_names in os.walk(root):
        folders += sum(_tighten(Path(current, name)) for name in folder_names)
        files += sum(_tighten(Path(current, name)) for name in file_names)
    if folders or files:
        _log.warning(
            "tightened %d folders to mode 0700 and %d files to mode 0600 under %s",
            folders,
            files,
            root,
        )
    return root


def open_private(path: Path, flags: int) -> int:
    """``os.open`` of a file created with mode 0600 (an existing looser one is tightened)."""
    descriptor = os.open(path, flags | os.O_CREAT, PRIVATE_FILE)
    try:
        if os.fstat(descriptor).st_mode & _OTHERS:
            os.fchmod(descriptor, PRIVATE_FILE)
            _log.warning("tightened file %s to mode 0600", path)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def private_database(path: Path) -> None:
    """Before SQLite opens ``path``: create it empty with mode 0600 if missing (an empty file
    is an empty database), tighten it and the companion files SQLite left beside it.

    A folder that does not exist or cannot be written is left for SQLite to report.
    """
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT, PRIVATE_FILE))
    except OSError:
        return
    files = [path, *(Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS)]
    tightened = [str(file) for file in files if _tighten(file, follow=file == path)]
    if tightened:
        _log.warning("tightened %s to mode 0600", ", ".join(tightened))


def _tighten(path: Path, follow: bool = False) -> bool:
    """Remove group and other access from a folder (0700) or regular file (0600).

    Whether it changed anything; a path that is gone, a symbolic link (unless ``follow``) or
    anything else than a folder or regular file is left alone.
    """
    try:
        mode = path.stat().st_mode if follow else path.lstat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(mode):
        wanted = PRIVATE_FOLDER
    elif stat.S_ISREG(mode):
        wanted = PRIVATE_FILE
    else:
        return False
    if not mode & _OTHERS:
        return False
    try:
        os.chmod(path, wanted)
    except FileNotFoundError:
        return False
    return True
