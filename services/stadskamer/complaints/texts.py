"""Encryption at rest of a complaint's free texts: AES-256-GCM under the klachten key.

The key is ``HKDF-SHA256(y_d, salt=None, info="stadskamer/complaints/description/v1")`` with
``y_d`` the ``klachten`` domain's secret key, so only a holder of that key can read the texts.
A sealed text is a random 12-byte nonce followed by the ciphertext and tag. The associated
data binds it to its place: the complaint id for the description, ``<id>/extension`` for the
extension reason, ``<id>/assignment/<n>`` for the n-th assignment's reason and
``<id>/contact`` for the id of the KCC contact the complaint was made in, so a sealed text
cannot be moved to another complaint or field.

That contact id is another domain's identifier: besides sealed (to answer it) it is stored
only as its keyed digest (:meth:`TextCipher.contact_reference`, HMAC under
``HKDF(y_d, info="stadskamer/complaints/contacts/v1")``), which only klachten can compare.
"""

from __future__ import annotations

from stadskamer.common.references import KeyedDigest
from stadskamer.common.sealing import Sealer, derive_key

INFO = b"stadskamer/complaints/description/v1"
CONTACTS = b"stadskamer/complaints/contacts/v1"


def text_key(domain_secret_key: bytes) -> bytes:
    """The 32-byte AES key derived from the klachten secret key ``y_d``."""
    return derive_key(domain_secret_key, INFO)


def description_context(complaint_id: str) -> str:
    """Associated data of a complaint's description."""
    return complaint_id


def extension_context(complaint_id: str) -> str:
    """Associated data of the decision-deadline extension reason."""
    return f"{complaint_id}/extension"


def assignment_context(complaint_id: str, sequence: int) -> str:
    """Associated data of the reason of the ``sequence``-th assignment."""
    return f"{complaint_id}/assignment/{sequence}"


def contact_context(complaint_id: str) -> str:
    """Associated data of the id of the contact the complaint was made in."""
    return f"{complaint_id}/contact"


class TextCipher(Sealer):
    """Seals and opens texts (``seal(text, context)``) with the key derived from ``y_d``, and
    keys contact references."""

    def __init__(self, domain_secret_key: bytes) -> None:
        super().__init__(text_key(domain_secret_key))
        self._contacts = KeyedDigest(domain_secret_key, CONTACTS)

    def contact_reference(self, contact_id: str) -> bytes:
        """The keyed digest of a contact id (HMAC-SHA256, 32 bytes)."""
        return self._contacts.digest(contact_id)
