"""Domain errors: plain Python exceptions that the one status mapping turns into gRPC statuses.

Messages are written for the caller and never contain personal data (no BSN, name, address,
free text); that is the raiser's duty, and the tests check it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request: its path (e.g. ``subject`` or ``items[3].topic``) and why."""

    field: str
    description: str


@dataclass
class StadskamerError(Exception):
    """Base of every domain error. ``reason`` is a stable UPPER_SNAKE code for ErrorInfo."""

    message: str
    reason: str = "UNSPECIFIED"
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


@dataclass
class InvalidArgument(StadskamerError):
    """The request is malformed; ``violations`` name the fields."""

    violations: list[FieldViolation] = field(default_factory=list)

    @classmethod
    def for_field(
        cls, name: str, description: str, reason: str = "INVALID_FIELD"
    ) -> InvalidArgument:
        """An error about one field."""
        return cls(
            f"invalid {name}: {description}", reason, violations=[FieldViolation(name, description)]
        )


@dataclass
class Unauthenticated(StadskamerError):
    """No valid credentials."""


@dataclass
class PermissionDenied(StadskamerError):
    """The caller is known but may not do this."""


@dataclass
class NotFound(StadskamerError):
    """The named resource does not exist (or the caller may not know it does)."""


@dataclass
class AlreadyExists(StadskamerError):
    """The resource exists already."""


@dataclass
class FailedPrecondition(StadskamerError):
    """The system is not in a state that allows this request."""


@dataclass
class ResourceExhausted(StadskamerError):
    """A quota or size limit was exceeded."""


@dataclass
class Unavailable(StadskamerError):
    """A dependency is down; the caller may retry after ``retry_after_seconds``."""

    retry_after_seconds: float = 1.0


@dataclass
class DeadlineExceeded(StadskamerError):
    """A dependency did not answer in time."""
