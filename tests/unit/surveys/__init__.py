"""Tests of the surveys service."""
