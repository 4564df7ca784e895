"""Identifiers derived from a registration's idempotency key (domain, request_id).

Every attempt of one request gets the same contact id and the same processing-record id, so
concurrent or repeated attempts meet in the unique keys of the contacts table and of the
processing log instead of being told apart by a read first.
"""

from __future__ import annotations

from hashlib import sha256
from uuid import UUID, uuid5

_CONTACT_IDS = UUID("0f5d7a4e-2c1b-4e8e-9a3d-6b2f1c0e9d84")


def contact_id_of(domain: str, request_id: str) -> str:
    """The contact id of a registration request: the same for every attempt of it."""
    return str(uuid5(_CONTACT_IDS, f"{domain}\x00{request_id}"))


def record_id(domain: str, request_id: str) -> str:
    """The processing-record id of a registration request (32 hex digits)."""
    return sha256(f"contacts.register\x00{domain}\x00{request_id}".encode()).hexdigest()[:32]
