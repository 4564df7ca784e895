"""BSN → polymorphic pseudonym at the edge, with the client library.

The BSN is checked (11-check) and encrypted under the deployment's master public key ``Y`` at
once, in this process; only the 96-byte pseudonym travels on. ``Y`` comes from
``PseudonymService.GetPublicKey`` (asked with the caller's token the first time) and is
cached. An invalid BSN is refused without the number appearing anywhere.
"""

from __future__ import annotations

import threading

from stadskamer import pep
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2
from stadskamer.client import validate_bsn
from stadskamer.gateway.rest.codec import BadInput
from stadskamer.gateway.rest.operations import Call
from stadskamer.gateway.rest.problems import Problem

INVALID_BSN = "must be a valid BSN: nine digits passing the 11-check"


def make_polymorphic_pseudonym(bsn: str, public_key: bytes) -> bytes:
    """Stand-in for the client helper that issue 14 removed, until the gateway has citizens'
    pseudonyms issued: refused (no service converts a self-made one any more)."""
    raise Problem(503, "the gateway does not issue pseudonyms yet", "NOT_ISSUED")


class Citizens:
    """Makes polymorphic pseudonyms; remembers the master public key once fetched."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._public_key: bytes | None = None

    def polymorphic(self, bsn: str, field: str, call: Call) -> bytes:
        """The polymorphic pseudonym of ``bsn``; 400 naming ``field`` for an invalid number."""
        try:
            normalized = validate_bsn(bsn)
        except pep.InvalidBsnError:
            raise BadInput.field(field, INVALID_BSN) from None
        from stadskamer.client import make_polymorphic_pseudonym  # type: ignore[attr-defined]  # removed: moves next

        return make_polymorphic_pseudonym(normalized, self._key(call))

    def _key(self, call: Call) -> bytes:
        with self._lock:
            if self._public_key is not None:
                return self._public_key
        response = call.rpc(
            "pseudonyms", call.stubs.pseudonyms.GetPublicKey, pseudonyms_pb2.GetPublicKeyRequest()
        )
        try:
            pep.validate_point(response.public_key)
        except pep.InvalidEncodingError:
            raise Problem(502, "the pseudonyms service sent no valid key", "BAD_KEY") from None
        with self._lock:
            self._public_key = bytes(response.public_key)
            return self._public_key
