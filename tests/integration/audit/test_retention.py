"""Pruning expired leading ranges on SQLite and PostgreSQL: what stays verifiable afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, select, update

from stadskamer.audit.adapters.log_writer import LogWriter
from stadskamer.audit.adapters.orm import log_state, processing_records, tree_nodes
from stadskamer.audit.adapters.retention import prune_expired
from stadskamer.audit.adapters.verifier import PRUNE_OPERATION, Tampered, verify_log
from stadskamer.audit.domain import decode_leaf
from stadskamer.audit.tree_heads import SignedTreeHead
from stadskamer.cli.main import main
from stadskamer.common.errors import FailedPrecondition
from stadskamer.common.keys import write_private
from tests.integration.audit.conftest import NOW, Log, record
from tests.unit.audit import rfc9162

OLD = NOW - timedelta(days=800)


def _writer_at(log: Log, moment: datetime) -> LogWriter:
    return LogWriter(log.engine, log.signer, lambda: moment)


def _prepared(log: Log) -> list[SignedTreeHead]:
    """Six records logged 800 days ago, then four recent ones; a head after each."""
    old, recent = _writer_at(log, OLD), _writer_at(log, NOW)
    heads = [old.append([record(n)]).head for n in range(6)]
    heads += [recent.append([record(n)]).head for n in range(6, 10)]
    return heads


def _stored(log: Log) -> dict[int, bytes]:
    with log.engine.connect() as connection:
        rows = connection.execute(
            select(processing_records.c.leaf_index, processing_records.c.leaf_data)
        )
        return {int(r.leaf_index): bytes(r.leaf_data) for r in rows}


def test_an_expired_leading_range_is_pruned_and_the_rest_stays_provable(log: Log) -> None:
    heads = _prepared(log)
    pruned = prune_expired(
        log.engine, _writer_at(log, NOW), log.register, log.signer.public_key, NOW, "retention"
    )
    assert (pruned.before, pruned.after) == (0, 6)
    stored = _stored(log)
    assert sorted(stored) == list(range(6, 11))
    prune_record = decode_leaf(stored[10])
    assert prune_record.entry.name == PRUNE_OPERATION and prune_record.entry.reference == "6"
    verified = verify_log(log.engine, log.signer.public_key)
    assert (verified.size, verified.pruned) == (11, 6)
    latest = log.reader.latest()
    assert latest is not None and latest.head.root_hash == verified.root
    for index in range(6, 11):
        leaf, path = log.reader.inclusion_proof(index, 11)
        assert leaf == rfc9162.leaf(stored[index])
        assert rfc9162.verify_inclusion(index, 11, leaf, path, verified.root)
    for earlier in [heads[3], *heads[5:]]:
        first = earlier.head.tree_size
        proof = log.reader.consistency_proof(first, 11)
        assert rfc9162.verify_consistency(first, 11, earlier.head.root_hash, verified.root, proof)
    with pytest.raises(FailedPrecondition):
        log.reader.inclusion_proof(2, 11)
    with pytest.raises(FailedPrecondition):
        log.reader.consistency_proof(5, 11)


def test_one_record_still_within_its_retention_keeps_everything_after_it(log: Log) -> None:
    old = _writer_at(log, OLD)
    old.append([record(0)])
    old.append([record(1, name="audit.supervision", activity="privacytoezicht")])
    old.append([record(2)])
    pruned = prune_expired(log.engine, log.writer, log.register, log.signer.public_key, NOW, "r")
    assert (pruned.before, pruned.after) == (0, 1)
    again = prune_expired(log.engine, log.writer, log.register, log.signer.public_key, NOW, "r")
    assert again.before == again.after == 1
    assert verify_log(log.engine, log.signer.public_key).pruned == 1


def test_records_removed_without_a_prune_record_are_detected(log: Log) -> None:
    _prepared(log)
    with log.engine.begin() as connection:
        connection.execute(delete(processing_records).where(processing_records.c.leaf_index < 4))
        for level, below in ((0, 4), (1, 2)):
            connection.execute(
                delete(tree_nodes).where(
                    tree_nodes.c.level == level, tree_nodes.c.node_index < below
                )
            )
        connection.execute(update(log_state).values(pruned_size=4))
    with pytest.raises(Tampered) as raised:
        verify_log(log.engine, log.signer.public_key)
    assert "without a retention prune record" in str(raised.value)
    assert raised.value.index == 0


def test_a_tampered_log_is_not_pruned(log: Log) -> None:
    _prepared(log)
    with log.engine.begin() as connection:
        connection.execute(
            update(processing_records)
            .where(processing_records.c.leaf_index == 7)
            .values(actor="someone-else")
        )
    with pytest.raises(Tampered):
        prune_expired(log.engine, log.writer, log.register, log.signer.public_key, NOW, "r")
    assert sorted(_stored(log)) == list(range(10))


def test_the_prune_command_prunes_and_logs_with_the_signing_key(
    log: Log, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _prepared(log)
    key_file = tmp_path / "audit-signing.pem"
    pem = log.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(key_file, pem)
    capsys.readouterr()
    arguments = ["audit", "prune", "--database-url", log.url, "--signing-key", str(key_file)]
    assert main([*arguments, "--actor", "po-1"]) == 0
    assert "pruned records 0..5" in capsys.readouterr().out
    assert main(arguments) == 0
    assert "nothing to prune" in capsys.readouterr().out
    assert verify_log(log.engine, log.signer.public_key).pruned == 6
