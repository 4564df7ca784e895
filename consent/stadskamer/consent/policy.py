"""The linking policy: requester domain × target domain × purpose → what it takes.

Pure rules, no I/O beyond reading the configuration file (``policy.toml`` beside this module
or ``STADSKAMER_CONSENT_POLICY_FILE``). Decision order:

1. a matching ``NEVER`` rule: denied whatever the consent (NEVER wins over everything);
2. requester == target: the requester's own data, allowed with basis ``own-domain``;
3. the first matching rule in file order: ``ALLOW_WITH_CONSENT`` or ``ALLOW_BY_LEGAL_BASIS``;
4. anything else: denied, no rule.

A rule matches only the situation it is for (:class:`Situation`): its ``directions`` (``pull``:
the requester has its own subject converted into the target to query it; ``push``: the
requester has a pseudonym the target domain sent it converted into its own domain), and, for
a rule with ``trigger = "case"``, a request that names the case (e.g. ``complaints/…``) and
presents the requester's stored reference of the citizen. A rule for pushed events cannot be
pulled; a case-bound rule opens nothing without its case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from stadskamer.common.settings import ConfigurationError
from stadskamer.consent.catalogue import NAME, PurposeCatalogue, load_toml

DEFAULT_POLICY_FILE = Path(__file__).parent / "policy.toml"
ANY = "*"
OWN_DOMAIN = "own-domain"
OWN_DOMAIN_BASIS = "own domain"


class Effect(Enum):
    """What a rule says about a matching request."""

    ALLOW_WITH_CONSENT = "ALLOW_WITH_CONSENT"
    ALLOW_BY_LEGAL_BASIS = "ALLOW_BY_LEGAL_BASIS"
    NEVER = "NEVER"


class Direction(Enum):
    """Which way a link goes."""

    PULL = "pull"
    PUSH = "push"


@dataclass(frozen=True)
class Situation:
    """What a request brings beyond (requester, target, purpose)."""

    direction: Direction = Direction.PULL
    case: str = ""
    stored_reference: bool = False


class Verdict(Enum):
    """The policy's answer before looking at any consent."""

    OWN_DOMAIN = "OWN_DOMAIN"
    NEEDS_CONSENT = "NEEDS_CONSENT"
    LEGAL_BASIS = "LEGAL_BASIS"
    NEVER = "NEVER"
    NO_RULE = "NO_RULE"
    TRIGGER_MISSING = "TRIGGER_MISSING"


CASE = "case"
TRIGGERS = frozenset({"", CASE})


@dataclass(frozen=True)
class Rule:
    """One line of the policy."""

    id: str
    effect: Effect
    requesters: frozenset[str]
    targets: frozenset[str]
    purposes: frozenset[str]
    legal_basis: str = ""
    directions: frozenset[Direction] = frozenset({Direction.PULL})
    trigger: str = ""

    def matches(
        self, requester: str, target: str, purpose: str, direction: Direction | None = None
    ) -> bool:
        """Whether the rule applies to the request (in ``direction``, when given)."""
        return (
            _covers(self.requesters, requester)
            and _covers(self.targets, target)
            and _covers(self.purposes, purpose)
            and (direction is None or direction in self.directions)
        )

    def triggered(self, situation: Situation) -> bool:
        """Whether the request brings what the rule's trigger asks for."""
        if self.trigger == CASE:
            return bool(situation.case) and situation.stored_reference
        return True


@dataclass(frozen=True)
class Decision:
    """The verdict with the rule that gave it (empty for own domain and no rule)."""

    verdict: Verdict
    rule_id: str = ""
    legal_basis: str = ""


@dataclass(frozen=True)
class Policy:
    """The ordered rules."""

    version: str
    rules: tuple[Rule, ...]

    def decide(
        self, requester: str, target: str, purpose: str, situation: Situation | None = None
    ) -> Decision:
        """Apply the decision order of the module docstring (a pull without a case when no
        ``situation`` is given)."""
        situation = situation or Situation()
        for rule in self.rules:
            if rule.effect is Effect.NEVER and rule.matches(requester, target, purpose):
                return Decision(Verdict.NEVER, rule.id)
        if requester == target:
            return Decision(Verdict.OWN_DOMAIN, "", OWN_DOMAIN_BASIS)
        for rule in self.rules:
            if rule.matches(requester, target, purpose, situation.direction):
                if not rule.triggered(situation):
                    return Decision(Verdict.TRIGGER_MISSING, rule.id)
                if rule.effect is Effect.ALLOW_WITH_CONSENT:
                    return Decision(Verdict.NEEDS_CONSENT, rule.id)
                return Decision(Verdict.LEGAL_BASIS, rule.id, rule.legal_basis)
        return Decision(Verdict.NO_RULE)


def _covers(values: frozenset[str], value: str) -> bool:
    return ANY in values or value in values


def parse_policy(document: Mapping[str, Any], purposes: PurposeCatalogue, source: str) -> Policy:
    """Build the policy and check it against the catalogue; ConfigurationError naming ``source``."""
    try:
        rules = tuple(_parse_rule(entry, purposes) for entry in document["rules"])
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigurationError(f"{source}: invalid policy ({error})") from None
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise ConfigurationError(f"{source}: rule ids must be unique")
    return Policy(str(document.get("policy_version", "")), rules)


def _parse_rule(entry: Mapping[str, Any], purposes: PurposeCatalogue) -> Rule:
    rule = Rule(
        id=str(entry["id"]),
        effect=Effect(entry["effect"]),
        requesters=_names(entry, "requesters"),
        targets=_names(entry, "targets"),
        purposes=_names(entry, "purposes"),
        legal_basis=str(entry.get("legal_basis", "")),
        directions=frozenset(Direction(d) for d in entry.get("directions", ["pull"])),
        trigger=str(entry.get("trigger", "")),
    )
    if not rule.directions:
        raise ValueError(f"rule {rule.id!r}: directions must name pull and/or push")
    if rule.trigger not in TRIGGERS:
        raise ValueError(f"rule {rule.id!r}: unknown trigger {rule.trigger!r}")
    if not NAME.match(rule.id):
        raise ValueError(f"rule id {rule.id!r} is not a lower-case name")
    unknown = rule.purposes - purposes.ids() - {ANY}
    if unknown:
        raise ValueError(f"rule {rule.id!r} names unknown purposes {sorted(unknown)}")
    if (rule.effect is Effect.ALLOW_BY_LEGAL_BASIS) != bool(rule.legal_basis.strip()):
        raise ValueError(f"rule {rule.id!r}: a legal_basis exactly for ALLOW_BY_LEGAL_BASIS")
    if rule.effect is Effect.ALLOW_WITH_CONSENT and (
        ANY in rule.purposes or not all(purposes.current(p).requires_consent for p in rule.purposes)
    ):
        raise ValueError(f"rule {rule.id!r}: consent rules name purposes that take consent")
    return rule


def _names(entry: Mapping[str, Any], key: str) -> frozenset[str]:
    values = entry[key]
    if not isinstance(values, list) or not values:
        raise ValueError(f"{key} must be a non-empty list")
    names = frozenset(str(v) for v in values)
    if not all(v == ANY or NAME.match(v) for v in names):
        raise ValueError(f"{key} holds a value that is not a name or '*'")
    return names


def load_policy(purposes: PurposeCatalogue, path: Path = DEFAULT_POLICY_FILE) -> Policy:
    """The policy in a TOML file, checked against ``purposes``."""
    return parse_policy(load_toml(path), purposes, str(path))
