"""Tests of the audit service (processing log)."""
