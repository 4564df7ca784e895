"""Keyed references and event ids: stable within a domain, unrelated to the value and across
domains."""

from __future__ import annotations

import uuid

import pytest

from stadskamer import pep
from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.common.event_sinks import EventIds
from stadskamer.common.references import KeyedDigest

KCC, BURGERZAKEN = pep.random_scalar(), pep.random_scalar()
STORED = "835f02a5-3f31-5a73-b91e-30c744884e48"


def test_a_keyed_digest_is_stable_per_key_and_label_and_unrelated_otherwise() -> None:
    digest = KeyedDigest(KCC, b"label/v1")
    assert digest.digest(STORED) == KeyedDigest(KCC, b"label/v1").digest(STORED)
    assert len(digest.digest(STORED)) == 32 and digest.hex(STORED) == digest.digest(STORED).hex()
    others = {
        KeyedDigest(KCC, b"label/v2").hex(STORED),
        KeyedDigest(BURGERZAKEN, b"label/v1").hex(STORED),
        digest.hex(STORED + "x"),
    }
    assert digest.hex(STORED) not in others and len(others) == 3
    assert uuid.UUID(digest.uuid(STORED)).version == 4


def _registered(domain: str) -> pb.Event:
    return pb.Event(event_id=STORED, contact_registered=pb.ContactRegistered(domain=domain))


def test_an_event_is_sent_under_an_id_of_its_domain_key_never_the_stored_one() -> None:
    ids = EventIds({"kcc": KCC, "burgerzaken": BURGERZAKEN})
    kcc = ids.wire_id(_registered("kcc"))
    assert kcc == ids.wire_id(_registered("kcc")) != STORED
    assert ids.wire_id(_registered("burgerzaken")) != kcc
    closed = pb.Event(event_id=STORED, complaint_closed=pb.ComplaintClosed(subject_domain="kcc"))
    assert ids.wire_id(closed) == kcc
    with pytest.raises(KeyError):
        ids.wire_id(_registered("belastingen"))
