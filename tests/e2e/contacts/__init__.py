"""Tests of the contacts service."""
