"""Fixtures of the surveys storage tests: the use cases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.surveys.support import World, build_world
from tests.support.pseudonyms import LocalPseudonyms, local_pseudonyms
from tests.unit.surveys.fakes import SURVEYS


@pytest.fixture
def pseudonyms(tmp_path: Path) -> Iterator[LocalPseudonyms]:
    """The pseudonym service in process, reached by the surveys service."""
    with local_pseudonyms(tmp_path / "pseudonyms", SURVEYS) as service:
        yield service


@pytest.fixture
def world(database_url: str, pseudonyms: LocalPseudonyms) -> Iterator[World]:
    """The surveys use cases on a fresh database (both databases, via ``database_url``)."""
    built = build_world(database_url, pseudonyms)
    try:
        yield built
    finally:
        built.engine.dispose()
