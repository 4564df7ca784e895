"""Fixtures of the history tests: a citizen with one contact in each KCC-facing domain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.history.support import BSN, DOMAINS, TOPICS, Citizen
from tests.support.stack import Stack


@pytest.fixture
def citizen(stack: Stack) -> Iterator[Citizen]:
    """The citizen on a fresh stack, with a contact in each KCC-facing domain."""
    person = Citizen(stack, BSN)
    for domain, topic in zip(DOMAINS, TOPICS, strict=True):
        person.register(domain, topic)
    yield person
