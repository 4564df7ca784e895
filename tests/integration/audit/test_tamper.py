"""Tampering with the stored log, on SQLite and PostgreSQL, and how each kind is detected.

Three attackers with write access to the database:

- the *naive* one edits rows in place (a field, a row deleted, two rows swapped, the tail cut
  off, a forged row added); ``audit verify`` names the first record concerned, and where the
  leaf data at a position changed, it no longer has an inclusion proof against a witness's head;
- the *thorough* one, without the signing key, rewrites leaf data, leaf hashes and every tree
  node consistently; the signed heads still give it away, and ``audit verify`` names the first
  record concerned (the service also refuses to append to such a log);
- the *key holder* does the same and signs a new head over the rewritten tree, so the stored
  log verifies; a witness holding an earlier signed head detects it, because the consistency
  proof to any later head fails, while proofs from heads before the change still hold.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, insert, select, update

from stadskamer.audit.adapters.database import head_row, record_row
from stadskamer.audit.adapters.orm import log_state, processing_records, tree_heads, tree_nodes
from stadskamer.audit.domain import LogRecord, decode_leaf, encode_leaf
from stadskamer.audit.merkle import CompactRange, leaf_hash
from stadskamer.audit.tree_heads import SignedTreeHead
from stadskamer.cli.main import main
from stadskamer.common.errors import FailedPrecondition
from tests.integration.audit.conftest import Log, record
from tests.unit.audit import rfc9162

SIZE = 12


def _prepared(log: Log) -> list[SignedTreeHead]:
    """Twelve records, one per append, so there is a signed head after each."""
    return [log.writer.append([record(n, actor=f"agent-{n % 3}")]).head for n in range(SIZE)]


def _records(log: Log) -> list[LogRecord]:
    with log.engine.connect() as connection:
        rows = connection.execute(select(processing_records.c.leaf_data).order_by("leaf_index"))
        return [decode_leaf(bytes(r.leaf_data)) for r in rows]


def _row(item: LogRecord) -> dict[str, object]:
    return record_row(item)


def _verify(log: Log, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``stadskamer audit verify`` (the command's function) on the log."""
    key = tmp_path / "audit.pub.pem"
    key.write_bytes(
        log.signer.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    capsys.readouterr()
    code = main(["audit", "verify", "--database-url", log.url, "--public-key", str(key)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# The naive attacker: in-place edits.


def _change_column(log: Log) -> None:
    with log.engine.begin() as c:
        c.execute(
            update(processing_records).where(processing_records.c.leaf_index == 5).values(actor="m")
        )


def _change_data(log: Log) -> None:
    item = _records(log)[5]
    forged = replace(item, entry=replace(item.entry, actor="mallory"))
    with log.engine.begin() as c:
        data = encode_leaf(forged)
        c.execute(
            update(processing_records)
            .where(processing_records.c.leaf_index == 5)
            .values(leaf_data=data, actor="mallory")
        )


def _delete_row(log: Log) -> None:
    with log.engine.begin() as c:
        c.execute(delete(processing_records).where(processing_records.c.leaf_index == 5))


def _swap_rows(log: Log) -> None:
    column = processing_records.c.leaf_index
    with log.engine.begin() as c:
        for old, new in ((3, -1), (8, 3), (-1, 8)):
            c.execute(update(processing_records).where(column == old).values(leaf_index=new))


def _truncate(log: Log) -> None:
    with log.engine.begin() as c:
        c.execute(delete(processing_records).where(processing_records.c.leaf_index >= 9))


def _insert_forged(log: Log) -> None:
    forged = record(99, actor="mallory").at(SIZE, _records(log)[0].logged_at)
    with log.engine.begin() as c:
        c.execute(insert(processing_records).values(**_row(forged)))


NAIVE: dict[str, tuple[Callable[[Log], None], int, str, list[int]]] = {
    "change a column": (_change_column, 5, "column actor differs", []),
    "change the data": (_change_data, 5, "leaf hash does not match", [5]),
    "delete a row": (_delete_row, 5, "is missing", []),
    "swap two rows": (_swap_rows, 3, "holds the data of record 8", [3, 8]),
    "truncate": (_truncate, 9, "truncated", []),
    "insert a forged row": (_insert_forged, SIZE, "does not match the records", []),
}


def _stored_by_position(log: Log) -> dict[int, bytes]:
    with log.engine.connect() as connection:
        rows = connection.execute(
            select(processing_records.c.leaf_index, processing_records.c.leaf_data)
        )
        return {int(r.leaf_index): bytes(r.leaf_data) for r in rows}


@pytest.mark.parametrize("kind", list(NAIVE))
def test_naive_tampering_is_named_by_verify(
    log: Log, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    witness = _prepared(log)[-1]
    before = _stored_by_position(log)
    tamper, index, words, changed = NAIVE[kind]
    assert _verify(log, tmp_path, capsys)[0] == 0
    tamper(log)
    code, output = _verify(log, tmp_path, capsys)
    assert code == 1
    assert f"record {index}" in output and words in output
    after = _stored_by_position(log)
    assert [i for i in range(SIZE) if after.get(i, b"") != before[i] and i in after] == changed
    for position in changed:
        _, path = log.reader.inclusion_proof(position, SIZE)
        leaf = rfc9162.leaf(after[position])
        assert not rfc9162.verify_inclusion(position, SIZE, leaf, path, witness.head.root_hash)


def test_a_forged_row_appended_with_its_tree_nodes_is_not_covered_by_a_signed_head(
    log: Log, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _prepared(log)
    records = _records(log)
    forged = record(99, actor="mallory").at(SIZE, records[0].logged_at)
    _rewrite(log, [*records, forged])
    code, output = _verify(log, tmp_path, capsys)
    assert code == 1
    assert f"record {SIZE}: not covered by any signed tree head" in output


# The thorough attacker: rewrites the records, leaf hashes and all tree nodes consistently.


def _rewrite(log: Log, items: list[LogRecord], drop_heads_after: int | None = None) -> None:
    renumbered = [replace(item, index=i) for i, item in enumerate(items)]
    tree = CompactRange()
    nodes = []
    for item in renumbered:
        completed = tree.append(leaf_hash(encode_leaf(item)))
        nodes += [{"level": lv, "node_index": ix, "hash": h} for lv, ix, h in completed]
    with log.engine.begin() as c:
        c.execute(delete(processing_records))
        c.execute(delete(tree_nodes))
        if renumbered:
            c.execute(insert(processing_records), [_row(i) for i in renumbered])
            c.execute(insert(tree_nodes), nodes)
        c.execute(update(log_state).values(tree_size=len(renumbered)))
        if drop_heads_after is not None:
            c.execute(delete(tree_heads).where(tree_heads.c.tree_size > drop_heads_after))


def _forge(item: LogRecord, record_id: str | None = None) -> LogRecord:
    entry = replace(item.entry, actor="mallory", record_id=record_id or item.entry.record_id)
    return replace(item, entry=entry)


THOROUGH: dict[str, tuple[Callable[[list[LogRecord]], list[LogRecord]], int]] = {
    "change one field": (lambda r: [*r[:5], _forge(r[5]), *r[6:]], 5),
    "delete a row": (lambda r: r[:5] + r[6:], 5),
    "swap two rows": (lambda r: [*r[:3], r[8], *r[4:8], r[3], *r[9:]], 3),
    "truncate": (lambda r: r[:9], 9),
    "insert a forged row": (lambda r: [*r[:5], _forge(r[4], "f" * 32), *r[5:]], 5),
}


@pytest.mark.parametrize("kind", list(THOROUGH))
def test_thorough_tampering_is_named_by_verify(
    log: Log, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _prepared(log)
    change, index = THOROUGH[kind]
    _rewrite(log, change(_records(log)))
    code, output = _verify(log, tmp_path, capsys)
    assert code == 1
    assert f"record {index}" in output


@pytest.mark.parametrize("kind", list(THOROUGH))
def test_the_service_refuses_to_append_to_a_rewritten_log(log: Log, kind: str) -> None:
    _prepared(log)
    change, _ = THOROUGH[kind]
    _rewrite(log, change(_records(log)))
    with pytest.raises(FailedPrecondition):
        log.another_writer().append([record(100)])


@pytest.mark.parametrize("kind", list(THOROUGH))
def test_a_key_holder_rewriting_history_fails_the_consistency_proof_to_a_witness(
    log: Log, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    heads = _prepared(log)
    witness = heads[-1]
    change, index = THOROUGH[kind]
    rewritten = change(_records(log))
    _rewrite(log, rewritten, drop_heads_after=index)
    if len(rewritten) > index:
        leaves = [encode_leaf(replace(r, index=i)) for i, r in enumerate(rewritten)]
        forged = log.signer.sign(len(rewritten), rfc9162.mth(leaves))
        with log.engine.begin() as connection:
            connection.execute(insert(tree_heads).values(**head_row(forged)))
    latest = log.another_writer().append([record(100 + n) for n in range(4)]).head
    assert _verify(log, tmp_path, capsys)[0] == 0
    first, second = witness.head.tree_size, latest.head.tree_size
    if second >= first:
        proof = log.reader.consistency_proof(first, second)
        assert not rfc9162.verify_consistency(
            first, second, witness.head.root_hash, latest.head.root_hash, proof
        )
    earlier = heads[index - 1]
    proof = log.reader.consistency_proof(index, second)
    assert rfc9162.verify_consistency(
        index, second, earlier.head.root_hash, latest.head.root_hash, proof
    )


def test_the_command_as_a_process_exits_0_on_a_clean_log_and_1_naming_the_record(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    command = [sys.executable, "-m", "stadskamer.cli.main"]
    keys = subprocess.run(
        [*command, "keys", "init", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert keys.returncode == 0, keys.stderr
    from stadskamer.audit.adapters.database import MIGRATIONS, SERVICE, audit_engine
    from stadskamer.audit.adapters.log_writer import LogWriter
    from stadskamer.audit.tree_heads import TreeHeadSigner
    from stadskamer.common.db import migrate, sqlite_url
    from stadskamer.common.keys import KeyLayout, read_ed25519_private_key

    engine = audit_engine(sqlite_url(data_dir, "audit"))
    migrate(engine, MIGRATIONS, SERVICE)
    signer = TreeHeadSigner(read_ed25519_private_key(KeyLayout.under(data_dir).audit_private_key))
    writer = LogWriter(engine, signer)
    root = b""
    for n in range(6):
        root = writer.append([record(n)]).head.head.root_hash
    verify = [*command, "audit", "verify", "--data-dir", str(data_dir)]
    clean = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stderr
    assert "6 records" in clean.stdout and root.hex() in clean.stdout, clean.stdout
    with engine.begin() as c:
        c.execute(delete(processing_records).where(processing_records.c.leaf_index == 2))
    engine.dispose()
    tampered = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert "record 2 is missing" in tampered.stderr, tampered.stderr
