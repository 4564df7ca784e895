"""The routing table: which complaint coordinator takes a complaint about which org unit.

Configuration, not code: a JSON document ``{"central": "<coordinator>", "units": {"<org
unit>": "<coordinator>", ...}}`` (keys starting with ``_`` are comments). The default ships
with the package (``routing.json``); ``STADSKAMER_COMPLAINTS_ROUTING_FILE`` replaces it. A
unit listed there goes to its decentral coordinator, every other unit to the central one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from stadskamer.common.settings import ConfigurationError
from stadskamer.complaints.inputs import CODE


@dataclass(frozen=True)
class RoutingTable:
    """Org unit → decentral coordinator; anything else → the central coordinator."""

    central: str
    units: Mapping[str, str] = field(default_factory=dict)

    def coordinator_for(self, org_unit: str) -> str:
        """The coordinator that takes a complaint about ``org_unit``."""
        return self.units.get(org_unit, self.central)

    @property
    def coordinators(self) -> frozenset[str]:
        """Every coordinator of the table (valid targets of a reassignment)."""
        return frozenset({self.central, *self.units.values()})

    @classmethod
    def from_json(cls, text: str, origin: str) -> RoutingTable:
        """Parse a routing document; ConfigurationError naming ``origin`` when invalid."""
        try:
            document = json.loads(text)
            central = document["central"]
            units = {k: v for k, v in document.get("units", {}).items() if not k.startswith("_")}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConfigurationError(
                f"{origin} is not a routing table like "
                '{"central": "...", "units": {"org-unit": "coordinator"}}'
            ) from None
        codes = [central, *units, *units.values()]
        if not all(isinstance(c, str) and CODE.match(c) for c in codes):
            raise ConfigurationError(
                f"{origin}: org units and coordinators must be codes of a-z, 0-9, '-', '_', '.'"
            )
        return cls(central, units)

    @classmethod
    def load(cls, path: Path | None) -> RoutingTable:
        """The table in ``path``, or the packaged default when ``path`` is None."""
        if path is None:
            text = resources.files("stadskamer.complaints").joinpath("routing.json").read_text()
            return cls.from_json(text, "the packaged routing.json")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"cannot read routing file {path}: {error}") from None
        return cls.from_json(text, str(path))
