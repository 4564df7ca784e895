"""Alembic environment of the contacts service."""

from stadskamer.common.db import run_alembic_env
from stadskamer.contacts.adapters.orm import metadata

run_alembic_env(metadata)
