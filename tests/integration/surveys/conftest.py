"""Fixtures of the surveys storage tests: the use cases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.surveys.support import World, build_world


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    """The surveys use cases on a fresh database (both databases, via ``database_url``)."""
    built = build_world(database_url)
    try:
        yield built
    finally:
        built.engine.dispose()
