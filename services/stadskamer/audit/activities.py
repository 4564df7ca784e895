"""The register of processing activities: which activity an operation belongs to, and labels.

Loaded from ``activities.toml`` beside this module, or from the file named by
``STADSKAMER_AUDIT_ACTIVITIES_FILE``. Plain Python: no gRPC, no SQL.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

from stadskamer.common.errors import InvalidArgument
from stadskamer.common.settings import ConfigurationError

ACTIVITIES_VARIABLE = "STADSKAMER_AUDIT_ACTIVITIES_FILE"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Activity:
    """One version of one processing activity of the register."""

    id: str
    version: int
    title: str
    operations: tuple[str, ...]
    purpose: str
    legal_basis: str
    retention: timedelta

    def covers(self, name: str) -> bool:
        """Whether the operation ``name`` belongs to this activity."""
        return any(fnmatchcase(name, pattern) for pattern in self.operations)


@dataclass(frozen=True)
class ActivityRegister:
    """Every activity version, plus Dutch labels of purposes and domains."""

    version: str
    activities: tuple[Activity, ...]
    purpose_labels: Mapping[str, str] = field(default_factory=dict)
    domain_labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> ActivityRegister:
        """Read the register from ``path``, or the packaged one; ConfigurationError if bad."""
        source = str(path) if path else "the packaged activities.toml"
        try:
            if path is None:
                text = resources.files("stadskamer.audit").joinpath("activities.toml").read_text()
            else:
                text = path.read_text(encoding="utf-8")
            return cls.parse(tomllib.loads(text))
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
            raise ConfigurationError(
                f"{source} is not a valid activity register: {error}"
            ) from None

    @classmethod
    def parse(cls, document: Mapping[str, Any]) -> ActivityRegister:
        """Build from a parsed document; ValueError naming what is wrong."""
        activities = tuple(_activity(entry) for entry in document["activities"])
        keys = [(a.id, a.version) for a in activities]
        if len(set(keys)) != len(keys):
            raise ValueError("an activity id and version occur twice")
        if not activities:
            raise ValueError("the register holds no activity")
        return cls(
            version=str(document["register_version"]),
            activities=activities,
            purpose_labels=dict(document.get("purpose_labels", {})),
            domain_labels=dict(document.get("domain_labels", {})),
        )

    def current(self) -> list[Activity]:
        """The highest version of every activity, in file order."""
        newest: dict[str, Activity] = {}
        for activity in self.activities:
            if activity.id not in newest or activity.version > newest[activity.id].version:
                newest[activity.id] = activity
        return [a for a in self.activities if newest[a.id] is a]

    def for_operation(self, name: str, field_name: str = "name") -> Activity:
        """The current activity covering ``name``; INVALID_ARGUMENT naming ``field_name``."""
        for activity in self.current():
            if activity.covers(name):
                return activity
        raise InvalidArgument.for_field(
            field_name,
            "no processing activity of the register covers it",
            "UNREGISTERED_PROCESSING",
        )

    def get(self, activity_id: str, version: int) -> Activity | None:
        """One activity version, or None when the register no longer has it."""
        for activity in self.activities:
            if (activity.id, activity.version) == (activity_id, version):
                return activity
        return None

    def retention(self, activity_id: str, version: int) -> timedelta | None:
        """How long records of that activity version are kept; None: keep (unknown)."""
        activity = self.get(activity_id, version)
        return activity.retention if activity else None


def _activity(entry: Mapping[str, Any]) -> Activity:
    identifier = str(entry["id"])
    version = entry["version"]
    days = entry["retention_days"]
    operations = tuple(str(p) for p in entry["operations"])
    if not _ID.match(identifier):
        raise ValueError(f"activity id {identifier!r} is not a lowercase code")
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"activity {identifier}: version must be a whole number >= 1")
    if not isinstance(days, int) or days < 1:
        raise ValueError(f"activity {identifier}: retention_days must be a whole number >= 1")
    if not operations:
        raise ValueError(f"activity {identifier}: operations must not be empty")
    return Activity(
        id=identifier,
        version=version,
        title=str(entry["title"]),
        operations=operations,
        purpose=str(entry.get("purpose", "")),
        legal_basis=str(entry.get("legal_basis", "")),
        retention=timedelta(days=days),
    )
