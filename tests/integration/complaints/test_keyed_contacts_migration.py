"""Migration 0003 on SQLite and PostgreSQL: a stored clear contact id becomes keyed and sealed."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from stadskamer import pep
from stadskamer.common.db import migrate
from stadskamer.common.settings import ConfigurationError
from stadskamer.complaints.bootstrap import MIGRATIONS
from stadskamer.complaints.texts import TextCipher, contact_context

KLACHTEN_SECRET = pep.random_scalar()
CONTACT = "2c6c9507-943e-5bab-a951-4107acbd60eb"
_INSERT = text(
    "INSERT INTO complaints (id, case_number, request_id, subject_pseudonym, channel,"
    " received_at_us, org_unit, about_official, description_sealed, key_version, contact_id,"
    " status, coordinator, callback_due, advisory_committee, decision_due, deadline_extended,"
    " handled_by_org_unit, created_at_us, updated_at_us, revision) VALUES (:id, :case, :id,"
    " :subject, 1, 0, 'kcc', false, :sealed, 'v1', :contact, 'RECEIVED', 'centraal',"
    " '2026-01-05', false, '2026-02-12', false, '', 0, 0, 1)"
)


def _at_0002_with_two_complaints(url: str) -> None:
    engine = create_engine(url)
    migrate(engine, MIGRATIONS, "complaints", revision="0002")
    with engine.begin() as connection:
        for number, contact in ((1, CONTACT), (2, "")):
            connection.execute(
                _INSERT,
                {
                    "id": f"c{number}",
                    "case": f"KL-2026-00000{number}",
                    "subject": bytes(32),
                    "sealed": b"x",
                    "contact": contact,
                },
            )
    engine.dispose()


def test_a_clear_contact_id_becomes_its_keyed_digest_and_a_sealed_copy(database_url: str) -> None:
    _at_0002_with_two_complaints(database_url)
    engine = create_engine(database_url)
    secrets = {"secrets": {"domain_secret_key": KLACHTEN_SECRET}}
    migrate(engine, MIGRATIONS, "complaints", secrets, revision="0003")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, contact_reference, contact_sealed FROM complaints ORDER BY id")
        ).all()
        columns = connection.execute(text("SELECT * FROM complaints")).keys()
    engine.dispose()
    cipher = TextCipher(KLACHTEN_SECRET)
    (named, reference, sealed), (_, no_reference, no_seal) = rows
    assert bytes(reference) == cipher.contact_reference(CONTACT)
    assert cipher.open(bytes(sealed), contact_context(named)) == CONTACT
    assert (no_reference, no_seal) == (None, None)
    assert "contact_id" not in columns


def test_rows_to_rewrite_and_no_key_stop_the_migration_naming_it(database_url: str) -> None:
    _at_0002_with_two_complaints(database_url)
    engine = create_engine(database_url)
    with pytest.raises(ConfigurationError, match="domain_secret_key"):
        migrate(engine, MIGRATIONS, "complaints")
    engine.dispose()
