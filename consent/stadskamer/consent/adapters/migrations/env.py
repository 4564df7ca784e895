"""Alembic environment of the consent service."""

from stadskamer.common.db import run_alembic_env
from stadskamer.consent.adapters.orm import metadata

run_alembic_env(metadata)
