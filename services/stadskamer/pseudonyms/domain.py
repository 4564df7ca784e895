"""The transcryptor's rules: domain factors, conversions, and who may convert what.

Plain Python: no gRPC, no SQL. Field names in errors are those of the public contract, so the
caller learns which input was wrong; no error message contains a pseudonym or key.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from stadskamer import pep
from stadskamer.common.errors import InvalidArgument
from stadskamer.pep import group
from stadskamer.pep.factors import PSEUDONYM_LABEL, REKEY_LABEL

DEFAULT_DOMAINS = (
    "kcc",
    "burgerzaken",
    "sociale-zaken",
    "belastingen",
    "klachten",
    "onderzoek",
    "consent",
    "audit",
)
MAX_DOMAIN_LENGTH = 63


@dataclass(frozen=True)
class DomainFactors:
    """The secret factors of one domain and its public key."""

    name: str
    pseudonym_factor: bytes  # s_d
    rekey_factor: bytes  # k_d
    public_key: bytes  # Y_d

    @property
    def pseudonym_over_rekey(self) -> bytes:
        """``s_d·k_d⁻¹``, the factor applied to ``b`` when converting from a polymorphic form."""
        return group.scalar_mul(self.pseudonym_factor, group.scalar_invert(self.rekey_factor))


@dataclass(frozen=True)
class Conversion:
    """RSK factors prepared for one target: ``n``, ``n·k⁻¹`` and the target's public key."""

    n: bytes
    n_over_k: bytes
    public_key: bytes

    def apply(self, ciphertext: pep.Ciphertext, rerandomizer: bytes | None) -> pep.Ciphertext:
        """``rerandomize(RSK(ciphertext))``."""
        converted = pep.rsk_prepared(ciphertext, self.n, self.n_over_k, self.public_key)
        return pep.rerandomize(converted, rerandomizer)


@dataclass(frozen=True)
class Secrets:
    """The key server's and transcryptor's secrets."""

    master_secret: bytes  # y
    pseudonymisation_secret: bytes  # PS
    rekey_secret: bytes  # ES


def parse_ciphertext(raw: bytes, field: str) -> pep.Ciphertext:
    """Parse a 96-byte ciphertext or raise INVALID_ARGUMENT naming ``field``."""
    try:
        return pep.Ciphertext.from_bytes(raw)
    except pep.InvalidEncodingError as error:
        raise InvalidArgument.for_field(field, str(error), "MALFORMED_PSEUDONYM") from None


class Transcryptor:
    """Converts polymorphic and encrypted pseudonyms between domains, on ciphertexts only."""

    def __init__(self, secrets: Secrets, domains: Iterable[str], version: str = "v1") -> None:
        self.version = version
        self.master_public_key = pep.public_key(secrets.master_secret)
        self._master_secret = secrets.master_secret
        self._domains: dict[str, DomainFactors] = {}
        self._secret_keys: dict[str, bytes] = {}  # y_d, to recognise an encrypted neutral element
        self._conversions: dict[tuple[str | None, str], Conversion] = {}
        self._reports: dict[str, DomainFactors] = {}
        self._ps = secrets.pseudonymisation_secret
        for name in sorted(set(domains)):
            s_d = pep.derive_factor(secrets.pseudonymisation_secret, PSEUDONYM_LABEL, name, version)
            k_d = pep.derive_factor(secrets.rekey_secret, REKEY_LABEL, name, version)
            secret, public = pep.domain_key_pair(secrets.master_secret, k_d)
            factors = DomainFactors(name, s_d, k_d, public)
            self._domains[name] = factors
            self._secret_keys[name] = secret
            self._conversions[(None, name)] = Conversion(s_d, factors.pseudonym_over_rekey, public)

    @property
    def domains(self) -> list[DomainFactors]:
        """The catalogue, sorted by name."""
        return list(self._domains.values())

    def domain(self, name: str, field: str) -> DomainFactors:
        """A domain of the catalogue, or INVALID_ARGUMENT naming ``field``."""
        factors = self._domains.get(name)
        if factors is None:
            raise InvalidArgument.for_field(
                field, "not a domain of this deployment", "UNKNOWN_DOMAIN"
            )
        return factors

    def domain_secret_key(self, name: str) -> tuple[bytes, bytes]:
        """The decryption key ``y_d`` and public key ``Y_d`` of a domain."""
        return pep.domain_key_pair(self._master_secret, self.domain(name, "domain").rekey_factor)

    def from_polymorphic(
        self, pseudonym: pep.Ciphertext, target: str, rerandomizer: bytes | None = None
    ) -> pep.Ciphertext:
        """``EP_target = rerandomize(RSK(PP; s_target, k_target))``."""
        if pseudonym.public_key != self.master_public_key:
            raise InvalidArgument.for_field(
                "polymorphic_pseudonym",
                "not made with this deployment's public key",
                "WRONG_PUBLIC_KEY",
            )
        self.domain(target, "target_domain")
        _refuse_neutral(pseudonym, self._master_secret, "polymorphic_pseudonym")
        return self._conversions[(None, target)].apply(pseudonym, rerandomizer)

    def between_domains(
        self,
        pseudonym: pep.Ciphertext,
        source: str,
        target: str,
        rerandomizer: bytes | None = None,
    ) -> pep.Ciphertext:
        """``EP_B = rerandomize(RSK(EP_A; s_B·s_A⁻¹, k_B·k_A⁻¹))``."""
        origin = self.domain(source, "source_domain")
        destination = self.domain(target, "target_domain")
        if pseudonym.public_key != origin.public_key:
            raise InvalidArgument.for_field(
                "encrypted_pseudonym",
                "not encrypted under the source domain's public key",
                "WRONG_PUBLIC_KEY",
            )
        _refuse_neutral(pseudonym, self._secret_keys[source], "encrypted_pseudonym")
        conversion = self._conversions.get((source, target))
        if conversion is None:
            n, k = conversion_factors(origin, destination)
            n_over_k = group.scalar_mul(n, group.scalar_invert(k))
            conversion = Conversion(n, n_over_k, destination.public_key)
            self._conversions[(source, target)] = conversion
        return conversion.apply(pseudonym, rerandomizer)

    def factors(self, name: str, field: str) -> DomainFactors:
        """A domain's factors, including a report domain ``audit/<d>`` of a catalogue domain.

        A report domain has its own pseudonymisation factor but the audit domain's rekey
        factor: the audit service decrypts every report domain with its one key, and still
        holds a different pseudonym of the citizen per reporting domain.
        """
        if name.startswith("audit/") and name[len("audit/") :] in self._domains:
            cached = self._reports.get(name)
            if cached is None:
                audit = self.domain("audit", field)
                s_r = pep.derive_factor(self._ps, PSEUDONYM_LABEL, name, self.version)
                cached = DomainFactors(name, s_r, audit.rekey_factor, audit.public_key)
                self._reports[name] = cached
            return cached
        return self.domain(name, field)

    def encrypts_neutral(self, ciphertext: pep.Ciphertext, audience: str) -> bool:
        """Whether a ciphertext of ``audience`` encrypts the neutral element (``c == y_a·b``).

        Checked on every tagged input (defence in depth: no tag is ever made for one).
        """
        factors = self.factors(audience, "tagged_pseudonym")
        secret = self._secret_keys.get(factors.name)
        if secret is None:
            secret = group.scalar_mul(factors.rekey_factor, self._master_secret)
            self._secret_keys[factors.name] = secret
        return group.point_mul(secret, ciphertext.b) == ciphertext.c

    def issue(self, citizen_point: bytes, audience: str, r: bytes | None = None) -> pep.Ciphertext:
        """``EP_audience = Enc_{Y_a}(s_a·M)`` for a citizen point ``M`` (issuance only)."""
        factors = self.factors(audience, "audiences")
        pseudonym = group.point_mul(factors.pseudonym_factor, citizen_point)
        return pep.encrypt(pseudonym, factors.public_key, r)

    def convert(
        self, pseudonym: pep.Ciphertext, source: str, target: str, rerandomizer: bytes | None = None
    ) -> pep.Ciphertext:
        """``EP_B = rerandomize(RSK(EP_A))`` between any two (report) domains."""
        origin = self.factors(source, "tagged_pseudonym")
        destination = self.factors(target, "target_domain")
        if pseudonym.public_key != origin.public_key:
            raise InvalidArgument.for_field(
                "tagged_pseudonym",
                "not encrypted under the audience's public key",
                "WRONG_PUBLIC_KEY",
            )
        if source == target:
            return pep.rerandomize(pseudonym, rerandomizer)
        key = (source, target)
        conversion = self._conversions.get(key)
        if conversion is None:
            n, k = conversion_factors(origin, destination)
            conversion = Conversion(
                n, group.scalar_mul(n, group.scalar_invert(k)), destination.public_key
            )
            self._conversions[key] = conversion
        return conversion.apply(pseudonym, rerandomizer)


def _refuse_neutral(pseudonym: pep.Ciphertext, secret_key: bytes, field: str) -> None:
    """INVALID_ARGUMENT naming ``field`` when ``pseudonym`` encrypts the neutral element.

    ``c == y·b`` exactly then (``M = c − y·b``): one scalar multiplication and a comparison of
    canonical encodings, without decrypting. Such a ciphertext is made from public values
    alone and would convert to the pseudonym 00…00 of no one in every domain.
    """
    if hmac.compare_digest(group.point_mul(secret_key, pseudonym.b), pseudonym.c):
        raise InvalidArgument.for_field(
            field,
            "encrypts the neutral element, not a citizen's pseudonym",
            pep.NeutralPlaintextError.reason,
        )


def conversion_factors(source: DomainFactors, target: DomainFactors) -> tuple[bytes, bytes]:
    """The RSK factors ``(s_B·s_A⁻¹, k_B·k_A⁻¹)`` for a conversion from A to B."""
    n = group.scalar_mul(target.pseudonym_factor, group.scalar_invert(source.pseudonym_factor))
    k = group.scalar_mul(target.rekey_factor, group.scalar_invert(source.rekey_factor))
    return n, k
