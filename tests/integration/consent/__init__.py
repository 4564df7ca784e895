"""Tests of the consent service (integration)."""
