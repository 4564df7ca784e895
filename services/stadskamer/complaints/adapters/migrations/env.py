"""Alembic environment of the complaints service."""

from stadskamer.common.db import run_alembic_env
from stadskamer.complaints.adapters.orm import metadata

run_alembic_env(metadata)
