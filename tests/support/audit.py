"""Reading the processing records of an embedded stack straight from the audit database.

Services that keep their records in an outbox (contacts) hand them to the audit service a
moment after the request: :func:`audit_records` first waits until every service database
under the data folder has delivered its kept records.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

PENDING = text("SELECT count(*) FROM records_events WHERE delivered_at_us IS NULL")


def records_settled(data_dir: Path, seconds: float = 10.0) -> None:
    """Wait until no service database under ``data_dir`` holds undelivered records."""
    deadline = time.monotonic() + seconds
    for database in sorted(data_dir.glob("*.db")):
        engine = create_engine(f"sqlite:///{database}")
        try:
            if not inspect(engine).has_table("records_events"):
                continue
            while True:
                with engine.connect() as connection:
                    if not connection.execute(PENDING).scalar_one():
                        break
                assert time.monotonic() < deadline, f"records of {database.name} undelivered"
                time.sleep(0.02)
        finally:
            engine.dispose()


def audit_records(data_dir: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Every record's leaf document, oldest first; only those called ``name`` when given."""
    records_settled(data_dir)
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
