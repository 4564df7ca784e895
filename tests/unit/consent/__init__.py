"""Tests of the consent service (unit)."""
