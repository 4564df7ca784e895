"""Reading configuration from environment variables into frozen settings objects.

Each service defines one frozen dataclass with a ``from_env`` constructor built from these
helpers; every variable has a documented default or is required, and a missing required value
fails at start with a message naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


class ConfigurationError(RuntimeError):
    """The configuration is incomplete or invalid; the message says which variable."""


def text(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    """A string variable; without a default it is required."""
    value = env.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise ConfigurationError(f"{name} is required but not set")
    return default


def integer(env: Mapping[str, str], name: str, default: int) -> int:
    """An integer variable."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None


def flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    """A boolean variable: 1/true/yes/on or 0/false/no/off."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of names."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def path(env: Mapping[str, str], name: str, default: Path | None = None) -> Path:
    """A file path variable; without a default it is required."""
    return Path(text(env, name, str(default) if default is not None else None))


def optional_path(env: Mapping[str, str], name: str) -> Path | None:
    """A file path variable that may be absent."""
    raw = env.get(name, "").strip()
    return Path(raw) if raw else None
