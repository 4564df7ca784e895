"""Replacing stored request ids by their keyed digests, for a service's Alembic migration.

:func:`digest_request_ids` turns a table's ``request_id`` column into ``request_digest``
(:mod:`stadskamer.common.request_ids`): it adds the column, fills it with the digest of each
row's request id under the key of the row's domain, drops ``request_id`` (and with it every
constraint on it) and makes the digest unique in its place. :func:`digest_prefixed_keys` does
the same inside a key column whose values are ``<prefix><request_id>``.

The digests come from whoever runs the migration (``migrate(..., attributes=...)``, under
:data:`~stadskamer.common.request_ids.MIGRATION_ATTRIBUTE`), as the service reads its keys; a
table with rows and no digests stops the migration with a message that says so. On SQLite
freed space is overwritten with zeros (``secure_delete``) and ``migrate`` truncates the
write-ahead log afterwards, so the old values leave the files. On PostgreSQL the old row
versions stay in the table files until ``VACUUM FULL`` (see docs/operations.md). A downgrade
cannot bring the request ids back: it stores the digests' hex as ``request_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from stadskamer.common.request_ids import DIGEST_BYTES, MIGRATION_ATTRIBUTE, RequestDigest

_CHUNK = 1000


def digest_request_ids(
    table: str,
    unique_name: str,
    domain: str = "",
    domain_column: str = "",
    key_column: str = "id",
) -> None:
    """Replace ``table.request_id`` by ``request_digest``, unique (per ``domain_column`` if
    given) under ``unique_name``. Each row's domain is ``domain`` or its ``domain_column``."""
    op.add_column(table, sa.Column("request_digest", sa.LargeBinary(DIGEST_BYTES), nullable=True))
    columns = [key_column, "request_id", *([domain_column] if domain_column else [])]
    rows = _rows(table, columns)
    if rows:
        digests = _digests(table)
        _update(
            table,
            key_column,
            "request_digest",
            [
                (row[0], _digest(digests, row[2] if domain_column else domain, row[1]))
                for row in rows
            ],
        )
    with op.batch_alter_table(table) as batch:
        batch.drop_column("request_id")
        batch.alter_column(
            "request_digest", existing_type=sa.LargeBinary(DIGEST_BYTES), nullable=False
        )
        batch.create_unique_constraint(
            unique_name, [*([domain_column] if domain_column else []), "request_digest"]
        )


def restore_request_id_column(
    table: str,
    old_unique_name: str,
    length: int,
    domain_column: str = "",
    key_column: str = "id",
) -> None:
    """The downgrade of :func:`digest_request_ids`: ``request_id`` holds the digests' hex."""
    op.add_column(table, sa.Column("request_id", sa.String(length), nullable=True))
    rows = _rows(table, [key_column, "request_digest"])
    _update(table, key_column, "request_id", [(key, bytes(d).hex()) for key, d in rows])
    with op.batch_alter_table(table) as batch:
        batch.drop_column("request_digest")
        batch.alter_column("request_id", existing_type=sa.String(length), nullable=False)
        batch.create_unique_constraint(
            old_unique_name, [*([domain_column] if domain_column else []), "request_id"]
        )


def digest_prefixed_keys(table: str, column: str, prefix: str, domain: str) -> None:
    """Replace every ``<prefix><request_id>`` in ``table.column`` by ``<prefix><digest hex>``."""
    key = sa.table(table, sa.column(column))
    rows = op.get_bind().execute(sa.select(key.c[column]).where(key.c[column].startswith(prefix)))
    found = [row[0] for row in rows]
    if not found:
        return
    digests = _digests(table)
    _secure_delete()
    for value in found:
        digest = _digest(digests, domain, value[len(prefix) :])
        op.get_bind().execute(
            sa.update(key).where(key.c[column] == value).values({column: prefix + digest.hex()})
        )


def _rows(table: str, columns: Sequence[str]) -> list[Sequence[Any]]:
    selected = sa.table(table, *(sa.column(c) for c in columns))
    return [tuple(row) for row in op.get_bind().execute(sa.select(*selected.c))]


def _update(table: str, key_column: str, column: str, values: Sequence[tuple[Any, Any]]) -> None:
    _secure_delete()
    target = sa.table(table, sa.column(key_column), sa.column(column))
    statement = (
        sa.update(target)
        .where(target.c[key_column] == sa.bindparam("_key"))
        .values({column: sa.bindparam("_value")})
    )
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        op.get_bind().execute(statement, [{"_key": k, "_value": v} for k, v in chunk])


def _digests(table: str) -> Mapping[str, RequestDigest]:
    """The digests given to the migration; RuntimeError when there are none."""
    config = op.get_context().config
    digests = config.attributes.get(MIGRATION_ATTRIBUTE) if config is not None else None
    if not digests:
        raise RuntimeError(
            f"the request ids in {table} must be replaced by keyed digests, which needs the "
            "domain keys: run the migration as the service does (its start or `stadskamer "
            "migrate` with the service's settings)"
        )
    return dict(digests)


def _digest(digests: Mapping[str, RequestDigest], domain: str, request_id: str) -> bytes:
    if domain not in digests:
        raise RuntimeError(f"no domain key given for {domain!r} to digest its request ids")
    return digests[domain](request_id)


def _secure_delete() -> None:
    """On SQLite: overwrite freed space with zeros from now on in this connection."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete=ON")
