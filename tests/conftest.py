"""Fixtures shared by every suite: databases, the embedded stack, captured spans and logs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support.databases import POSTGRES_URL, postgres_problem, postgres_schema

if TYPE_CHECKING:
    from tests.support.stack import Stack

SPANS = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_provider)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans exported during one test."""
    SPANS.clear()
    yield SPANS
    SPANS.clear()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A real, empty database: a SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with postgres_schema() as url:
        yield url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly when the PostgreSQL suite did not run."""
    problem = postgres_problem.cache_info().currsize and postgres_problem()
    if problem:
        terminalreporter.write_line(
            f"NOTE: the PostgreSQL suite was SKIPPED ({POSTGRES_URL}: {problem}). "
            "Set STADSKAMER_TEST_POSTGRES_URL to a reachable server to run it.",
            yellow=True,
        )


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """The embedded stack, started on port 0 under a fresh data folder."""
    from tests.support.stack import running_stack  # imported here: it loads every service

    with running_stack(tmp_path / "var") as running:
        yield running
