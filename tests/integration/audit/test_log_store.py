"""The log writer and reader on SQLite and PostgreSQL: appends, idempotency, concurrency, proofs."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from stadskamer.audit.adapters.orm import processing_records, tree_nodes
from stadskamer.audit.adapters.verifier import verify_log
from stadskamer.common.errors import AlreadyExists, FailedPrecondition
from tests.integration.audit.conftest import Log, fill, record
from tests.unit.audit import rfc9162


def _leaf_data(log: Log) -> list[bytes]:
    with log.engine.connect() as connection:
        rows = connection.execute(
            select(processing_records.c.leaf_data).order_by(processing_records.c.leaf_index)
        )
        return [bytes(r.leaf_data) for r in rows]


def _count(log: Log) -> int:
    with log.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(processing_records)).scalar_one()
        )


def test_appends_get_consecutive_indexes_and_a_signed_head_over_them(log: Log) -> None:
    first = log.writer.append([record(0), record(1), record(2)])
    second = log.writer.append([record(3)])
    assert first.indexes == [0, 1, 2] and second.indexes == [3]
    assert first.head.head.tree_size == 3 and second.head.head.tree_size == 4
    assert second.head.verify(log.signer.public_key)
    assert second.head.head.root_hash == rfc9162.mth(_leaf_data(log))
    latest = log.reader.latest()
    assert latest == second.head


def test_a_retried_record_is_not_stored_twice(log: Log) -> None:
    original = record(0)
    assert log.writer.append([original]).indexes == [0]
    log.writer.append([record(1)])
    again = log.writer.append([record(2), original, record(3)])
    assert again.indexes == [2, 0, 3]
    assert _count(log) == 4
    with pytest.raises(AlreadyExists):
        log.writer.append([record(9, record_id=original.entry.record_id)])
    duplicate = record(5)
    assert log.writer.append([duplicate, duplicate]).indexes == [4, 4]
    assert _count(log) == 5
    assert verify_log(log.engine, log.signer.public_key).size == 5


def test_a_reused_record_id_fails_only_its_own_batch(log: Log) -> None:
    taken = record(0)
    log.writer.append([taken])
    with pytest.raises(AlreadyExists):
        log.writer.append([record(1), record(2, record_id=taken.entry.record_id)])
    assert _count(log) == 1


def test_concurrent_writers_and_retries_never_duplicate_or_interleave(log: Log) -> None:
    records = [record(n) for n in range(40)]
    writers = [log.writer, log.another_writer()]
    failures: list[BaseException] = []

    def work(number: int) -> None:
        writer = writers[number % 2]
        try:
            for item in records[number::4]:
                writer.append([item])
                writers[(number + 1) % 2].append([item])
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with log.engine.connect() as connection:
        indexes = connection.execute(select(processing_records.c.leaf_index)).scalars().all()
    assert sorted(indexes) == list(range(40))
    verified = verify_log(log.engine, log.signer.public_key)
    assert verified.size == 40 and verified.root == rfc9162.mth(_leaf_data(log))


def test_proofs_from_the_store_verify_against_signed_heads(log: Log) -> None:
    heads = [log.writer.append([record(n)]).head for n in range(37)]
    data = _leaf_data(log)
    for signed in heads[::5] + heads[-1:]:
        size, root = signed.head.tree_size, signed.head.root_hash
        for index in range(0, size, 3):
            leaf, path = log.reader.inclusion_proof(index, size)
            assert leaf == rfc9162.leaf(data[index])
            assert rfc9162.verify_inclusion(index, size, leaf, path, root)
        for earlier in heads[:size:4]:
            first = earlier.head.tree_size
            proof = log.reader.consistency_proof(first, size)
            assert rfc9162.verify_consistency(first, size, earlier.head.root_hash, root, proof)


def test_a_proof_costs_one_node_query_of_at_most_2_log_n_keys(log: Log) -> None:
    fill(log, 300, batch=50)
    statements: list[tuple[str, int]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, len(parameters)))

    event.listen(log.engine, "after_cursor_execute", seen)
    try:
        _, path = log.reader.inclusion_proof(137, 300)
        inclusion = list(statements)
        log.reader.consistency_proof(77, 300)
        consistency = statements[len(inclusion) :]
    finally:
        event.remove(log.engine, "after_cursor_execute", seen)
    assert len(path) == 9
    for queries in (inclusion, consistency):
        assert len(queries) == 2
        node_queries = [count for text, count in queries if "tree_nodes" in text]
        assert len(node_queries) == 1
        assert node_queries[0] // 2 <= 2 * (300).bit_length()


def test_a_writer_refuses_a_log_that_no_longer_matches_its_head(log: Log) -> None:
    fill(log, 5)
    with log.engine.begin() as connection:
        connection.execute(
            update(tree_nodes)
            .where(tree_nodes.c.level == 2, tree_nodes.c.node_index == 0)
            .values(hash=bytes(32))
        )
    with pytest.raises(FailedPrecondition) as raised:
        log.another_writer().append([record(99)])
    assert raised.value.reason == "LOG_INCONSISTENT"
    assert _count(log) == 5


def test_records_and_subjects_are_read_back_with_filters(log: Log) -> None:
    from stadskamer.audit.domain import RecordFilter

    subject = bytes(range(32))
    log.writer.append(
        [
            record(0, subject=subject),
            record(1, actor="agent-2"),
            record(2, subject=subject, domain="burgerzaken"),
        ]
    )
    mine = log.queries.page(RecordFilter(subjects=(subject,)), -1, 10, 10)
    assert [r.index for r, _ in mine] == [0, 2]
    either = RecordFilter(subjects=(bytes(32), subject), references=("2", "0"))
    assert [r.index for r, _ in log.queries.page(either, -1, 10, 10)] == [0, 2]
    assert log.queries.domains() == {"kcc", "burgerzaken", ""}
    assert [r.index for r, _ in log.queries.page(RecordFilter(actor="agent-2"), -1, 10, 10)] == [1]
    assert [
        r.index for r, _ in log.queries.page(RecordFilter(domain="burgerzaken"), -1, 10, 10)
    ] == [2]
    assert [r.index for r, _ in log.queries.page(RecordFilter(), 0, 2, 10)] == [1]
    assert mine[0][0].entry == replace(record(0).entry, record_id=mine[0][0].entry.record_id)
