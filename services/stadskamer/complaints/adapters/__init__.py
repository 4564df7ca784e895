"""Adapters of the complaints service: tables, repository, the pseudonym and event-sink clients."""
