"""Key files: created with mode 0600, refused when missing or readable by everyone.

The embedded setup keeps every secret under ``<data-dir>/keys``; production mounts each as a
file named by an environment variable. Secrets are stored as hex text.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stadskamer.common.file_modes import create_private_folders, open_private
from stadskamer.common.settings import ConfigurationError


@dataclass(frozen=True)
class KeyLayout:
    """Where the embedded setup keeps its key files."""

    folder: Path

    @classmethod
    def under(cls, data_dir: Path) -> KeyLayout:
        """The layout below a data folder."""
        return cls(data_dir / "keys")

    @property
    def master_secret(self) -> Path:
        """The key server's master secret ``y``."""
        return self.folder / "master.secret"

    @property
    def pseudonymisation_secret(self) -> Path:
        """The transcryptor's pseudonymisation secret ``PS``."""
        return self.folder / "pseudonymisation.secret"

    @property
    def rekey_secret(self) -> Path:
        """The transcryptor's rekey secret ``ES``."""
        return self.folder / "rekey.secret"

    @property
    def token_private_key(self) -> Path:
        """The Ed25519 key that signs the deployment's own access tokens (PEM)."""
        return self.folder / "token-signing.pem"

    @property
    def token_public_key(self) -> Path:
        """Its public half, which every service uses to verify tokens (PEM)."""
        return self.folder / "token-signing.pub.pem"

    @property
    def consent_private_key(self) -> Path:
        """The Ed25519 key that signs consent receipts and link grants (PEM)."""
        return self.folder / "consent-signing.pem"

    @property
    def consent_public_key(self) -> Path:
        """Its public half, with which anyone verifies receipts and link grants (PEM)."""
        return self.folder / "consent-signing.pub.pem"

    @property
    def audit_private_key(self) -> Path:
        """The Ed25519 key that signs the processing log's tree heads (PEM)."""
        return self.folder / "audit-signing.pem"

    @property
    def audit_public_key(self) -> Path:
        """Its public half, with which ``audit verify`` and witnesses check tree heads (PEM)."""
        return self.folder / "audit-signing.pub.pem"

    @property
    def tag_private_key(self) -> Path:
        """The Ed25519 key with which the pseudonym service tags what it hands out (PEM)."""
        return self.folder / "tag-signing.pem"

    @property
    def tag_public_key(self) -> Path:
        """Its public half, also published by GetPublicKey (PEM)."""
        return self.folder / "tag-signing.pub.pem"

    def domain_key(self, domain: str) -> Path:
        """An exported domain key file."""
        return self.folder / "domains" / f"{domain}.key.json"


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new or existing file of mode 0600 (missing folders get 0700)."""
    create_private_folders(path.parent)
    with os.fdopen(open_private(path, os.O_WRONLY | os.O_TRUNC), "wb") as handle:
        handle.write(data)


def read_private(path: Path) -> bytes:
    """Read a key file, refusing one that is missing or readable by everyone."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigurationError(f"key file {path} does not exist") from None
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        raise ConfigurationError(
            f"key file {path} is accessible to everyone (mode {stat.filemode(mode)}); "
            "restrict it with chmod 600"
        )
    return path.read_bytes()


def read_secret(path: Path) -> bytes:
    """Read a hex-encoded secret of at least 32 bytes."""
    text = read_private(path).decode("ascii", "replace").strip()
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise ConfigurationError(f"key file {path} does not hold hex text") from None
    if len(value) < 32:
        raise ConfigurationError(f"key file {path} holds fewer than 32 bytes")
    return value


def write_secret(path: Path, value: bytes) -> None:
    """Write a secret as hex text."""
    write_private(path, value.hex().encode("ascii") + b"\n")


def init_keys(layout: KeyLayout, master_secret: bytes) -> list[Path]:
    """Create every missing secret of the embedded setup; return the files created.

    ``master_secret`` is the scalar to use when the master key is missing (the caller makes a
    random one, so this module does not depend on the group library). Existing files are kept.
    """
    created: list[Path] = []
    for target, value in (
        (layout.master_secret, master_secret),
        (layout.pseudonymisation_secret, os.urandom(32)),
        (layout.rekey_secret, os.urandom(32)),
    ):
        if not target.exists():
            write_secret(target, value)
            created.append(target)
    for private, public in (
        (layout.token_private_key, layout.token_public_key),
        (layout.consent_private_key, layout.consent_public_key),
        (layout.audit_private_key, layout.audit_public_key),
        (layout.tag_private_key, layout.tag_public_key),
    ):
        if not private.exists():
            _write_signing_key_pair(private, public)
            created += [private, public]
    return created


def _write_signing_key_pair(private: Path, public: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(private, pem)
    write_private(
        public,
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


def read_ed25519_private_key(path: Path) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from a PEM file (refused if readable by everyone)."""
    try:
        key = serialization.load_pem_private_key(read_private(path), password=None)
    except ValueError:
        raise ConfigurationError(f"{path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} is not an Ed25519 private key")
    return key


def read_ed25519_public_key(path: Path) -> Ed25519PublicKey:
    """Load an Ed25519 public key from a PEM file (e.g. to verify link grants)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"cannot read public key {path}: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError(f"{path} is not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class DomainKeyFile:
    """A domain's key pair as exported by ``stadskamer keys export``."""

    domain: str
    key_version: str
    secret_key: bytes
    public_key: bytes

    def dump(self, path: Path) -> None:
        """Write it as a private JSON file."""
        document = {
            "domain": self.domain,
            "key_version": self.key_version,
            "secret_key": self.secret_key.hex(),
            "public_key": self.public_key.hex(),
        }
        write_private(path, (json.dumps(document, indent=2) + "\n").encode())

    @classmethod
    def load(cls, path: Path) -> DomainKeyFile:
        """Read one, refusing files readable by everyone."""
        try:
            document = json.loads(read_private(path))
            return cls(
                document["domain"],
                document["key_version"],
                bytes.fromhex(document["secret_key"]),
                bytes.fromhex(document["public_key"]),
            )
        except (ValueError, KeyError, TypeError):
            raise ConfigurationError(f"{path} is not a domain key file") from None
