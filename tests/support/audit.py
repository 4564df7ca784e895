"""Reading the processing records of an embedded stack straight from the audit database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text


def audit_records(data_dir: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Every record's leaf document, oldest first; only those called ``name`` when given."""
    engine = create_engine(f"sqlite:///{data_dir / 'audit.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT leaf_data FROM processing_records ORDER BY leaf_index")
            ).all()
    finally:
        engine.dispose()
    documents = [json.loads(bytes(row[0])) for row in rows]
    return [d for d in documents if name is None or d["name"] == name]
