"""Alembic environment of the pseudonym service."""

from stadskamer.common.db import run_alembic_env
from stadskamer.pseudonyms.adapters.orm import metadata

run_alembic_env(metadata)
