"""Tests of the consent service (e2e)."""
