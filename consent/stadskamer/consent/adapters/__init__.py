"""Adapters of the consent service: its tables, repository and pseudonym-service client."""
