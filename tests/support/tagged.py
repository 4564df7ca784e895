"""Well-formed tagged pseudonyms for shape checks (no pseudonym service: a throwaway tag key).

They parse like the real thing but verify under no deployment's tag key: use them where only
the wire form matters (validators, messages), never where a service claims or converts them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer import pep
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind

_KEY = Ed25519PrivateKey.generate()


def tagged(audience: str, kind: Kind = Kind.ENCRYPTED, grant_id: str = "") -> bytes:
    """A freshly made tagged pseudonym of ``audience`` in its wire form."""
    point = pep.identity_point("111222333")
    ciphertext = pep.encrypt(point, pep.public_key(pep.random_scalar()))
    return tags.sign(
        _KEY,
        kind,
        ciphertext.to_bytes(),
        audience=audience,
        not_after=datetime.now(UTC) + timedelta(hours=2),
        key_version="v1",
        grant_id=grant_id,
    ).to_bytes()
