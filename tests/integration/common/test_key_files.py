"""Key files: created private, refused when missing, world-readable or malformed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stadskamer import pep
from stadskamer.common.keys import DomainKeyFile, KeyLayout, init_keys, read_secret
from stadskamer.common.settings import ConfigurationError


def test_init_creates_every_secret_with_mode_0600_and_keeps_existing_ones(tmp_path: Path) -> None:
    layout = KeyLayout.under(tmp_path)
    created = init_keys(layout, pep.random_scalar())
    assert layout.master_secret in created and layout.token_private_key in created
    for path in created:
        if path != layout.token_public_key:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = layout.master_secret.read_bytes()
    assert init_keys(layout, pep.random_scalar()) == []
    assert layout.master_secret.read_bytes() == before


def test_missing_and_world_readable_key_files_are_refused(tmp_path: Path) -> None:
    layout = KeyLayout.under(tmp_path)
    with pytest.raises(ConfigurationError, match="does not exist"):
        read_secret(layout.master_secret)
    init_keys(layout, pep.random_scalar())
    layout.master_secret.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        read_secret(layout.master_secret)


def test_short_or_non_hex_secrets_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    for content in (b"abcd\n", b"not hex at all, not hex at all, not hex at all, not hex!!\n"):
        path.write_bytes(content)
        path.chmod(0o600)
        with pytest.raises(ConfigurationError):
            read_secret(path)


def test_domain_key_files_round_trip(tmp_path: Path) -> None:
    secret = pep.random_scalar()
    original = DomainKeyFile("kcc", "v1", secret, pep.public_key(secret))
    path = tmp_path / "kcc.key.json"
    original.dump(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DomainKeyFile.load(path) == original
    path.write_text("{}")
    path.chmod(0o600)
    with pytest.raises(ConfigurationError):
        DomainKeyFile.load(path)
