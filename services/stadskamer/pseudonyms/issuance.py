"""Issuance: the one place where a BSN becomes a pseudonym, limited per actor and recorded.

shared/design/pseudonyms.md, "Issued, never self-made": only a caller with the ``issuer``
role turns BSNs into tagged encrypted pseudonyms, one per audience domain among its own (the
BSNk pattern: a polymorphic pseudonym never leaves this service). The BSN lives in memory
for this call only. Every issued citizen counts against the actor's hourly limit
(RESOURCE_EXHAUSTED beyond it; the bulk limit for the ``system`` role, e.g. an importer) and
gets a processing record naming actor and purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from stadskamer import pep
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork
from stadskamer.common.errors import InvalidArgument, PermissionDenied, ResourceExhausted
from stadskamer.common.processing_log import ProcessingLog, ProcessingRecord
from stadskamer.pep.tags import Kind, TaggedPseudonym
from stadskamer.pseudonyms import tag_rules
from stadskamer.pseudonyms.adapters.repository import IssuanceCounter

ISSUER_ROLE = "issuer"
BULK_ROLE = "system"
MAX_ITEMS = 1000
MAX_AUDIENCES = 8
_PURPOSE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class IssuanceLimits:
    """Citizens one actor may have issued per hour."""

    per_hour: int = 600
    bulk_per_hour: int = 200_000

    def for_caller(self, caller: Principal) -> int:
        """The caller's hourly limit."""
        return self.bulk_per_hour if BULK_ROLE in caller.roles else self.per_hour


@dataclass(frozen=True)
class Issued:
    """The answer for one BSN: its tagged pseudonyms, or why it was refused."""

    pseudonyms: list[TaggedPseudonym]
    refusal_reason: str = ""


Tagger = Callable[[Kind, pep.Ciphertext, str], TaggedPseudonym]


class Issuance:
    """The issuance use case."""

    def __init__(
        self,
        issue_point: Callable[[bytes, str], pep.Ciphertext],
        tagger: Tagger,
        domains: Sequence[str],
        unit_of_work: Callable[[], UnitOfWork],
        processing_log: ProcessingLog,
        clock: Callable[[], datetime],
        limits: IssuanceLimits = IssuanceLimits(),
    ) -> None:
        self._issue_point = issue_point
        self._tag = tagger
        self._domains = frozenset(domains)
        self._unit_of_work = unit_of_work
        self._processing_log = processing_log
        self._clock = clock
        self._limits = limits

    def issue(
        self, caller: Principal, bsns: Sequence[str], audiences: Sequence[str], purpose: str
    ) -> list[Issued]:
        """Issue every valid BSN into every audience; an invalid BSN is refused alone."""
        caller.require_role(ISSUER_ROLE)
        targets = self._audiences(caller, audiences)
        if not bsns or len(bsns) > MAX_ITEMS:
            raise InvalidArgument.for_field("bsns", f"give 1 to {MAX_ITEMS} BSNs")
        if not _PURPOSE.match(purpose):
            raise InvalidArgument.for_field("purpose", "a purpose id (lower-case name)")
        points: list[bytes | None] = []
        for raw in bsns:
            try:
                points.append(pep.identity_point(pep.normalize_bsn(raw)))
            except pep.InvalidBsnError:
                points.append(None)
        self._count(caller, sum(1 for point in points if point is not None))
        answers: list[Issued] = []
        records: list[ProcessingRecord] = []
        for point in points:
            if point is None:
                answers.append(Issued([], "INVALID_BSN"))
                continue
            issued = [
                self._tag(Kind.ENCRYPTED, self._issue_point(point, audience), audience)
                for audience in targets
            ]
            answers.append(Issued(issued))
            records.append(self._record(caller, purpose, targets, point))
        self._append(records)
        return answers

    def _audiences(self, caller: Principal, audiences: Sequence[str]) -> list[str]:
        if not audiences or len(audiences) > MAX_AUDIENCES or len(set(audiences)) != len(audiences):
            raise InvalidArgument.for_field(
                "audiences", f"give 1 to {MAX_AUDIENCES} different domains"
            )
        targets: list[str] = []
        for audience in audiences:
            if audience not in self._domains:
                raise InvalidArgument.for_field(
                    "audiences", "not a domain of this deployment", "UNKNOWN_DOMAIN"
                )
            if audience == tag_rules.AUDIT and "privacy-officer" in caller.roles:
                targets += [tag_rules.report_audience(d) for d in self._reporting_domains()]
                continue
            if audience in (tag_rules.AUDIT, tag_rules.CONSENT):
                raise PermissionDenied(
                    "nothing is issued into an oversight domain", "OVERSIGHT_AUDIENCE"
                )
            caller.require_domain(audience)
            targets.append(audience)
        return targets

    def _reporting_domains(self) -> list[str]:
        return sorted(self._domains - {tag_rules.AUDIT})

    def _count(self, caller: Principal, count: int) -> None:
        now = self._clock()
        hour = now.replace(minute=0, second=0, microsecond=0)
        limit = self._limits.for_caller(caller)
        with self._unit_of_work() as uow:
            counter = IssuanceCounter(uow.session)
            if not counter.add(caller.subject, hour, count, limit):
                raise ResourceExhausted(
                    f"the issuance limit of {limit} citizens per hour is reached",
                    "ISSUANCE_LIMIT",
                )
            counter.prune(hour - timedelta(days=1))
            uow.commit()

    def _record(
        self, caller: Principal, purpose: str, targets: list[str], point: bytes
    ) -> ProcessingRecord:
        report = tag_rules.report_audience(targets[0].removeprefix(tag_rules.REPORT_PREFIX))
        subject = self._tag(Kind.ENCRYPTED, self._issue_point(point, report), report)
        return ProcessingRecord.now(
            "pseudonyms.issue",
            "OK",
            self._clock,
            actor=caller.subject,
            purpose=purpose,
            target_domain=",".join(targets)[:255],
            subject_tagged=subject.to_bytes(),
        )

    def _append(self, records: list[ProcessingRecord]) -> None:
        append_many = getattr(self._processing_log, "append_many", None)
        if append_many is not None and len(records) > 1:
            append_many(records)
            return
        for record in records:
            self._processing_log.append(record)
