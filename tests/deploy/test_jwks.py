"""deploy/scripts/jwks.py: during a rotation the services trust the old and the new key."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.common.auth import TokenIssuer, TokenVerifier
from stadskamer.common.errors import Unauthenticated
from tests.deploy.manifests import DEPLOY


def jwks_script() -> ModuleType:
    """deploy/scripts/jwks.py as a module."""
    spec = importlib.util.spec_from_file_location("jwks", DEPLOY / "scripts" / "jwks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def public_pem(key: Ed25519PrivateKey, path: Path) -> Path:
    """Write the public half of ``key`` as PEM."""
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def test_a_jwks_of_the_old_and_new_key_verifies_tokens_of_both_and_no_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, stranger = (Ed25519PrivateKey.generate() for _ in range(3))
    files = [public_pem(old, tmp_path / "old.pem"), public_pem(new, tmp_path / "new.pem")]
    assert jwks_script().main([str(f) for f in [*files, files[0]]]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["keys"]) == 2
    (tmp_path / "jwks.json").write_text(json.dumps(document))
    verifier = TokenVerifier.from_files(None, tmp_path / "jwks.json")
    for key in (old, new):
        token = TokenIssuer(key).issue("contacts-service", ["kcc"], ["service"])
        assert verifier.verify(token).domains == frozenset({"kcc"})
    with pytest.raises(Unauthenticated):
        verifier.verify(TokenIssuer(stranger).issue("intruder", ["kcc"], ["service"]))


def test_a_file_that_is_not_an_ed25519_public_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "not-a-key.pem").write_text("hello\n")
    assert jwks_script().main([str(tmp_path / "not-a-key.pem")]) == 1
    assert "jwks.py:" in capsys.readouterr().err
    assert jwks_script().main([]) == 2
