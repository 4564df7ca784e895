"""Migration 0002 on SQLite and PostgreSQL: trigger keys become keyed digests, consent names
of call-back tasks are sealed."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from stadskamer import pep
from stadskamer.common.db import migrate
from stadskamer.surveys.bootstrap import MIGRATIONS
from stadskamer.surveys.sealing import Keyring

EVENT = "event:835f02a5-3f31-5a73-b91e-30c744884e48"
CONSENT = "consents/0ceb2a41d1114e3ba0290c2b868e2d10"
ONDERZOEK_SECRET = pep.random_scalar()


def test_stored_trigger_keys_and_consent_names_are_rewritten(database_url: str) -> None:
    engine = create_engine(database_url)
    migrate(engine, MIGRATIONS, "surveys", revision="0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO triggers (trigger_key, kind, received_at_us, outcome, detail,"
                " invitation_id) VALUES (:key, 'contact-registered', 0, 'INVITED', '', 'i1')"
            ),
            {"key": EVENT},
        )
        connection.execute(
            text(
                "INSERT INTO invitations (id, subject_pseudonym, trigger, channel, topic,"
                " org_unit, status, created_at_us) VALUES ('i1', :subject, 'CONTACT', 1,"
                " 'afval', 'kcc', 'RESPONDED', 0)"
            ),
            {"subject": bytes(32)},
        )
        connection.execute(
            text(
                "INSERT INTO callback_tasks (id, invitation_id, org_unit, consent_name, state,"
                " created_at_us) VALUES ('t1', 'i1', 'kcc', :consent, 'OPEN', 0)"
            ),
            {"consent": CONSENT},
        )
    secrets = {"secrets": {"domain_secret_key": ONDERZOEK_SECRET}}
    migrate(engine, MIGRATIONS, "surveys", secrets, revision="0002")
    with engine.connect() as connection:
        [key] = connection.execute(text("SELECT trigger_key FROM triggers")).scalars()
        [sealed] = connection.execute(text("SELECT consent_sealed FROM callback_tasks")).scalars()
    engine.dispose()
    keys = Keyring(ONDERZOEK_SECRET)
    assert key == keys.trigger_key(EVENT) and EVENT.split(":")[1] not in key
    assert keys.texts.open(bytes(sealed), "t1/consent") == CONSENT
