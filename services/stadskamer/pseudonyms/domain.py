"""The transcryptor's rules: domain factors, conversions, and who may convert what.

Plain Python: no gRPC, no SQL. Field names in errors are those of the public contract, so the
caller learns which input was wrong; no error message contains a pseudonym or key.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from stadskamer import pep
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
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


OWN_DOMAIN = "own-domain"
OVERSIGHT = "oversight"
REPORT = "report"
DEFAULT_OVERSIGHT_DOMAINS = ("consent", "audit")
DEFAULT_REPORT_DOMAINS = ("audit",)


def authorize_conversion(
    caller_domains: frozenset[str],
    source: str | None,
    target: str,
    grant: LinkGrant | None,
    subject: bytes,
    oversight_domains: frozenset[str] = frozenset(DEFAULT_OVERSIGHT_DOMAINS),
    report_domains: frozenset[str] = frozenset(),
) -> str:
    """Decide whether the caller may have ``subject`` converted into ``target``; the basis.

    Without a grant:

    - ``own-domain``: a polymorphic pseudonym into one of the caller's domains, or an
      encrypted pseudonym rerandomized within one;
    - ``oversight``: a service of an oversight domain (consent, audit) converting any
      pseudonym into that domain, to check consent or keep the processing log. Those domains
      never hand their pseudonyms to anyone.
    - ``report``: a service converting a polymorphic pseudonym into a report domain (audit)
      to name the subject of a processing record it sends there. The answer is encrypted
      under that domain's public key: the caller can neither decrypt nor link it, and only
      the audit service (which holds the key) learns the pseudonym.

    Any other conversion links two domains and needs a link grant in which the requester is
    one of the caller's domains, bound to exactly the ``subject`` bytes sent, in one of two
    orientations: *pull*, the requester has the subject converted into the grant's target
    domain to query it (source: a polymorphic pseudonym or the requester's own); or *push*,
    the requester has the target domain's pseudonym converted into its own domain. The
    grant's signature and validity in time are checked by the caller of this function.
    """
    if target in caller_domains and (source is None or source == target):
        return OWN_DOMAIN
    if target in caller_domains and target in oversight_domains:
        return OVERSIGHT
    if source is None and target in report_domains:
        return REPORT
    if grant is None:
        raise PermissionDenied(
            "a conversion into another domain needs a link grant from the consent service",
            "LINK_GRANT_REQUIRED",
            {"target_domain": target},
        )
    if grant.requester_domain not in caller_domains:
        raise PermissionDenied(
            "the link grant was issued to another requester", "LINK_GRANT_WRONG_REQUESTER"
        )
    pull = grant.target_domain == target and source in (None, grant.requester_domain)
    push = grant.requester_domain == target and source == grant.target_domain
    if not (pull or push):
        reason = "LINK_GRANT_WRONG_TARGET" if source is None else "LINK_GRANT_WRONG_SOURCE"
        raise PermissionDenied("the link grant does not cover this conversion", reason)
    if not grant.is_for(subject):
        raise PermissionDenied(
            "the link grant was issued for another pseudonym", "LINK_GRANT_WRONG_SUBJECT"
        )
    return grant.basis
