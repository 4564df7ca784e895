"""Alembic environment of the audit service."""

from stadskamer.audit.adapters.orm import metadata
from stadskamer.common.db import run_alembic_env

run_alembic_env(metadata)
