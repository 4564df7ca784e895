"""Fixtures of the complaints storage tests: the use cases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.complaints.support import SERVICE, World, build_world
from tests.support.pseudonyms import local_pseudonyms


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The complaints use cases on a fresh database (both databases, via ``database_url``),
    with the pseudonym service in process on its own SQLite file."""
    with local_pseudonyms(tmp_path / "pseudonyms", SERVICE) as pseudonyms:
        built = build_world(database_url, tmp_path, pseudonyms)
        try:
            yield built
        finally:
            built.engine.dispose()
