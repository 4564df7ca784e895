"""Print a JWKS (RFC 7517) that holds the Ed25519 public keys in the given PEM files.

Usage: ``python3 jwks.py KEY.pub.pem [MORE.pub.pem ...] > jwks.json``. A service trusts every
key in the file it is given with ``STADSKAMER_TOKEN_JWKS_FILE``, so during a rotation of the
token signing key the JWKS holds the old and the new key. The entries carry no ``kid``: the
services compute the same key id as the issuer from the key itself.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def jwk(pem: bytes) -> dict[str, str]:
    """The JWK of one Ed25519 public key in PEM form."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "use": "sig", "alg": "EdDSA"}


def jwks(paths: list[Path]) -> dict[str, list[dict[str, str]]]:
    """The JWKS of the keys in ``paths``, each key once, in the order given."""
    keys: list[dict[str, str]] = []
    for path in paths:
        entry = jwk(path.read_bytes())
        if entry not in keys:
            keys.append(entry)
    return {"keys": keys}


def main(arguments: list[str]) -> int:
    """Print the JWKS of the files named on the command line."""
    if not arguments:
        print("usage: jwks.py KEY.pub.pem [MORE.pub.pem ...]", file=sys.stderr)
        return 2
    try:
        document = jwks([Path(a) for a in arguments])
    except (OSError, ValueError) as error:
        print(f"jwks.py: {error}", file=sys.stderr)
        return 1
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
