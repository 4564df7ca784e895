"""Adapters of the contacts service: its tables, repository and pseudonym-service client."""
