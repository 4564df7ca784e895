"""The purpose catalogue: what a citizen can consent to, in which version, with which text.

Configuration, versioned: ``purposes.toml`` beside this module, or the file named by
``STADSKAMER_CONSENT_PURPOSES_FILE``. Each entry is one version of a purpose; the highest
version of an id is the current one. A consent records the SHA-256 of the exact text.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stadskamer.common.errors import InvalidArgument
from stadskamer.common.settings import ConfigurationError

DEFAULT_PURPOSES_FILE = Path(__file__).parent / "purposes.toml"
NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Purpose:
    """One version of a purpose."""

    id: str
    version: int
    title: str
    consent_text: str
    requires_consent: bool
    domains: frozenset[str]
    retention_days: int
    legal_basis: str
    dpv_category: str

    @property
    def notice_hash(self) -> bytes:
        """SHA-256 of the UTF-8 bytes of the exact consent text."""
        return hashlib.sha256(self.consent_text.encode("utf-8")).digest()


class PurposeCatalogue:
    """Every version of every purpose, with lookups that raise errors naming the field."""

    def __init__(self, version: str, purposes: list[Purpose]) -> None:
        self.version = version
        self._versions: dict[str, dict[int, Purpose]] = {}
        for purpose in purposes:
            versions = self._versions.setdefault(purpose.id, {})
            if purpose.version in versions:
                raise ConfigurationError(
                    f"purpose {purpose.id!r} version {purpose.version} is defined twice"
                )
            versions[purpose.version] = purpose

    def all(self) -> list[Purpose]:
        """Every version of every purpose, by id then version."""
        return [
            self._versions[i][v] for i in sorted(self._versions) for v in sorted(self._versions[i])
        ]

    def ids(self) -> frozenset[str]:
        """The purpose ids."""
        return frozenset(self._versions)

    def is_current(self, purpose: Purpose) -> bool:
        """Whether ``purpose`` is the newest version of its id."""
        return purpose.version == max(self._versions[purpose.id])

    def current(self, purpose_id: str, field: str = "purpose") -> Purpose:
        """The current version of a purpose; INVALID_ARGUMENT naming ``field`` if unknown."""
        versions = self._versions.get(purpose_id)
        if not versions:
            raise InvalidArgument.for_field(
                field, "not a purpose of the catalogue", "UNKNOWN_PURPOSE"
            )
        return versions[max(versions)]

    def versions_listing(self, domains: Iterable[str]) -> list[tuple[str, int]]:
        """Every (id, version) of a purpose version that lists one of ``domains``."""
        wanted = frozenset(domains)
        return [(p.id, p.version) for p in self.all() if p.domains & wanted]

    def version_of(self, purpose_id: str, version: int) -> Purpose:
        """A given version; INVALID_ARGUMENT naming ``purpose_version`` if unknown."""
        purpose = self.current(purpose_id).id
        found = self._versions[purpose].get(version)
        if found is None:
            raise InvalidArgument.for_field(
                "purpose_version", "not a version of this purpose", "UNKNOWN_PURPOSE_VERSION"
            )
        return found


def parse_catalogue(document: Mapping[str, Any], source: str) -> PurposeCatalogue:
    """Build a catalogue from a parsed TOML document; ConfigurationError naming ``source``."""
    try:
        entries = document["purposes"]
        purposes = [_parse_purpose(entry) for entry in entries]
        return PurposeCatalogue(str(document.get("catalogue_version", "")), purposes)
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigurationError(f"{source}: invalid purpose catalogue ({error})") from None


def _parse_purpose(entry: Mapping[str, Any]) -> Purpose:
    purpose = Purpose(
        id=_text(entry, "id"),
        version=int(entry["version"]),
        title=_text(entry, "title"),
        consent_text=str(entry.get("consent_text", "")),
        requires_consent=bool(entry["requires_consent"]),
        domains=frozenset(str(d) for d in entry["domains"]),
        retention_days=int(entry["retention_days"]),
        legal_basis=_text(entry, "legal_basis"),
        dpv_category=_text(entry, "dpv_category"),
    )
    if not NAME.match(purpose.id) or purpose.version < 1 or purpose.retention_days < 0:
        raise ValueError(f"purpose {purpose.id!r}: bad id, version or retention_days")
    if not purpose.domains or not all(NAME.match(d) for d in purpose.domains):
        raise ValueError(f"purpose {purpose.id!r}: domains must be non-empty domain names")
    if purpose.requires_consent != bool(purpose.consent_text.strip()):
        raise ValueError(f"purpose {purpose.id!r}: a consent text exactly when consent is needed")
    if not purpose.dpv_category.startswith("dpv:"):
        raise ValueError(f"purpose {purpose.id!r}: dpv_category must be a dpv: term")
    return purpose


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty string")
    return value


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML configuration file; ConfigurationError if missing or invalid."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"cannot read {path}: {error}") from None


def load_catalogue(path: Path = DEFAULT_PURPOSES_FILE) -> PurposeCatalogue:
    """The catalogue in a TOML file."""
    return parse_catalogue(load_toml(path), str(path))
