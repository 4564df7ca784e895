"""Tests of the complaints service."""
