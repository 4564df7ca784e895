"""Test doubles of the consent service's ports: a movable clock, the pseudonym service, a log.

:class:`FakePseudonyms` plays the pseudonym service with real tags (its own Ed25519 tag key)
and real ElGamal under per-domain test keys: a person's pseudonym in any domain encrypts the
person's citizen point, and the conversion into ``consent`` applies a fixed factor, so one
person has one consent-domain pseudonym whatever domain presented them, and only the consent
test key decrypts it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer import pep
from stadskamer.client import Claim, DomainKey
from stadskamer.common.auth import Principal
from stadskamer.common.errors import InvalidArgument, PermissionDenied, Unavailable
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.pep import group, tags
from stadskamer.pep.tags import Kind, TaggedPseudonym

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TAG_KEY = Ed25519PrivateKey.generate()
TAG_KEYS = {tags.tag_key_id(TAG_KEY.public_key()): TAG_KEY.public_key()}
CONSENT_FACTOR = pep.random_scalar()
_SECRETS: dict[str, bytes] = {}


def domain_key(domain: str) -> DomainKey:
    """The test key pair of ``domain`` (made on first use)."""
    secret = _SECRETS.setdefault(domain, pep.random_scalar())
    return DomainKey(domain, "v1", secret, pep.public_key(secret))


CONSENT_KEY = domain_key("consent")


def citizen_point(person: int) -> bytes:
    """The citizen point of person number ``person``."""
    return pep.identity_point(f"{person:09d}")


def consent_pseudonym(person: int) -> bytes:
    """The consent-domain pseudonym the stand-in gives ``person``."""
    return group.point_mul(CONSENT_FACTOR, citizen_point(person))


def tagged(
    point: bytes,
    audience: str,
    kind: Kind = Kind.ENCRYPTED,
    key: Ed25519PrivateKey = TAG_KEY,
    lifetime: timedelta = timedelta(hours=2),
) -> bytes:
    """``point`` encrypted afresh under ``audience``'s test key and tagged with ``key``."""
    ciphertext = pep.encrypt(point, domain_key(audience).public_key).to_bytes()
    return tags.sign(
        key,
        kind,
        ciphertext,
        audience=audience,
        not_after=datetime.now(UTC) + lifetime,
        key_version="v1",
    ).to_bytes()


def subject(person: int, audience: str = "kcc", kind: Kind = Kind.ENCRYPTED) -> bytes:
    """A freshly issued tagged pseudonym of person ``person`` for ``audience``."""
    return tagged(citizen_point(person), audience, kind)


class FakePseudonyms:
    """The pseudonym service's conversions the consent service uses; can be switched off."""

    def __init__(self) -> None:
        self.available = True
        self.refusal = ""  # when set, every conversion is refused with this reason
        self.calls: list[str] = []
        self._spent: set[bytes] = set()
        self._lock = threading.Lock()

    def verify(self, raw: bytes, field: str = "subject") -> TaggedPseudonym:
        """Check the tag with the stand-in's tag key (locally, as the client does)."""
        try:
            return tags.verify(raw, TAG_KEYS, datetime.now(UTC))
        except tags.InvalidTagError as error:
            raise InvalidArgument.for_field(field, str(error), error.reason) from None

    def convert(self, raw: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """Into ``consent`` only (the oversight rule)."""
        source = self._source(raw, "convert")
        assert target_domain == "consent" and not link_grant
        point = self._plaintext(source)
        return tagged(group.point_mul(CONSENT_FACTOR, point), "consent")

    def claim(self, raw: bytes, domain: str) -> Claim:
        """Claim a consent pseudonym once: a stored reference and a record subject."""
        source = self._source(raw, "claim")
        assert domain == source.audience == "consent"
        with self._lock:
            if source.use_key() in self._spent:
                raise PermissionDenied("used already", "TAG_SPENT")
            self._spent.add(source.use_key())
        point = self._plaintext(source)
        reference = tagged(point, "consent", Kind.REFERENCE, lifetime=timedelta(days=400))
        return Claim(reference, tagged(point, "audit/consent", lifetime=timedelta(hours=1)))

    def report_subjects(self, references: Sequence[bytes]) -> list[bytes]:
        """A record subject per stored reference of the consent domain."""
        subjects = []
        for raw in references:
            source = self._source(raw, "report")
            assert source.kind is Kind.REFERENCE and source.audience == "consent"
            subjects.append(tagged(self._plaintext(source), "audit/consent"))
        return subjects

    def _source(self, raw: bytes, call: str) -> TaggedPseudonym:
        self.calls.append(call)
        if not self.available:
            raise Unavailable("the pseudonyms service is unavailable", "DEPENDENCY_UNAVAILABLE")
        if self.refusal:
            raise InvalidArgument.for_field("tagged_pseudonym", "refused", self.refusal)
        return self.verify(raw, "tagged_pseudonym")

    @staticmethod
    def _plaintext(source: TaggedPseudonym) -> bytes:
        return pep.decrypt(source.parsed_ciphertext(), domain_key(source.audience).secret_key)


class FakeClock:
    """A clock that stands still until moved."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        with self._lock:
            self._now += delta


class MemoryLog:
    """Keeps records in memory; ``failing`` makes every append raise UNAVAILABLE."""

    def __init__(self) -> None:
        self.records: list[ProcessingRecord] = []
        self.failing = False

    def append(self, record: ProcessingRecord) -> None:
        """Store or refuse one record."""
        if self.failing:
            raise Unavailable("the processing log cannot be written", "PROCESSING_LOG_UNAVAILABLE")
        self.records.append(record)


def agent(domains: tuple[str, ...] = ("kcc",), name: str = "agent-7") -> Principal:
    """An agent of ``domains``."""
    return Principal(name, frozenset(domains), frozenset({"agent"}))


def system(domains: tuple[str, ...] = ("kcc",)) -> Principal:
    """The self-service front end."""
    return Principal("mijn-gemeente", frozenset(domains), frozenset({"system"}))
