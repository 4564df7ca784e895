"""Alembic environment of the surveys service."""

from stadskamer.common.db import run_alembic_env
from stadskamer.surveys.adapters.orm import metadata

run_alembic_env(metadata)
