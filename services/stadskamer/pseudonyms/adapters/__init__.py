"""Adapters of the pseudonym service: its database tables and repository."""
