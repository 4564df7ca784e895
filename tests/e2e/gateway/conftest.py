"""Fixtures of the gateway's end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.gateway.support import Rest, running_rest


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rest]:
    """One stack and gateway for a whole test module."""
    with running_rest(tmp_path_factory.mktemp("gateway") / "var") as running:
        yield running
