"""The subject-access view (AVG art. 15) of one citizen: processing and consent events, with
plain Dutch labels, as JSON or CSV. Plain Python: the command fetches, this module formats.

Every row has the same columns (:data:`COLUMNS`); JSON groups them as ``verwerkingen`` and
``toestemmingen``, CSV puts both in one table with the column ``Soort``. Codes are replaced by
their Dutch labels where the register (or the consent service's purpose catalogue) has one,
and shown as they are otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from stadskamer.audit.activities import ActivityRegister
from stadskamer.audit.domain import LogRecord, Status

COLUMNS = (
    ("soort", "Soort"),
    ("tijdstip", "Tijdstip"),
    ("handeling", "Handeling"),
    ("verwerkingsactiviteit", "Verwerkingsactiviteit"),
    ("doel", "Doel"),
    ("grondslag", "Grondslag"),
    ("uitgevoerd_door", "Uitgevoerd door"),
    ("ontvangende_afdeling", "Ontvangende afdeling"),
    ("afdeling_van_de_gegevens", "Afdeling van de gegevens"),
    ("toestemming_of_regel", "Toestemming of regel"),
    ("resultaat", "Resultaat"),
    ("kenmerk", "Kenmerk"),
    ("logregel", "Logregel"),
)
_EVENTS = {"GIVEN": "toestemming gegeven", "WITHDRAWN": "toestemming ingetrokken"}
_STATES = {"ACTIVE": "actief", "WITHDRAWN": "ingetrokken", "EXPIRED": "verlopen"}


@dataclass(frozen=True)
class ConsentEvent:
    """One step in the history of one of the citizen's consents."""

    time: datetime
    kind: str  # GIVEN or WITHDRAWN
    consent: str  # the consent's resource name
    purpose: str
    purpose_version: int
    actor: str
    state: str  # ACTIVE, WITHDRAWN or EXPIRED


@dataclass(frozen=True)
class Labels:
    """The Dutch labels: the register's, with the consent service's purpose titles first."""

    register: ActivityRegister
    purpose_titles: Mapping[str, str]

    def purpose(self, code: str) -> str:
        """The label of a purpose id."""
        return self.purpose_titles.get(code) or self.register.purpose_labels.get(code, code)

    def domain(self, code: str) -> str:
        """The label of a domain."""
        return self.register.domain_labels.get(code, code)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def processing_row(record: LogRecord, labels: Labels) -> dict[str, str]:
    """One processing as a row."""
    entry = record.entry
    activity = labels.register.get(record.activity_id, record.activity_version)
    return {
        "soort": "verwerking",
        "tijdstip": _time(entry.start_time),
        "handeling": entry.name,
        "verwerkingsactiviteit": activity.title if activity else record.activity_id,
        "doel": labels.purpose(entry.purpose),
        "grondslag": entry.legal_basis,
        "uitgevoerd_door": entry.actor,
        "ontvangende_afdeling": labels.domain(entry.requester_domain),
        "afdeling_van_de_gegevens": labels.domain(entry.target_domain),
        "toestemming_of_regel": entry.basis,
        "resultaat": "gelukt" if entry.status is Status.OK else f"niet gelukt ({entry.outcome})",
        "kenmerk": entry.reference,
        "logregel": str(record.index),
    }


def consent_row(event: ConsentEvent, labels: Labels) -> dict[str, str]:
    """One consent event as a row."""
    return {
        "soort": "toestemming",
        "tijdstip": _time(event.time),
        "handeling": _EVENTS.get(event.kind, event.kind),
        "verwerkingsactiviteit": "",
        "doel": f"{labels.purpose(event.purpose)} (versie {event.purpose_version})",
        "grondslag": "AVG art. 6 lid 1 sub a (toestemming)",
        "uitgevoerd_door": event.actor,
        "ontvangende_afdeling": "",
        "afdeling_van_de_gegevens": "",
        "toestemming_of_regel": event.consent,
        "resultaat": _STATES.get(event.state, event.state),
        "kenmerk": event.consent,
        "logregel": "",
    }


def as_json(processing: list[dict[str, str]], consents: list[dict[str, str]]) -> str:
    """Both lists as one JSON document."""
    document = {"verwerkingen": processing, "toestemmingen": consents}
    return json.dumps(document, ensure_ascii=False, indent=2)


def as_csv(processing: list[dict[str, str]], consents: list[dict[str, str]]) -> str:
    """Both lists as one CSV table with Dutch headers, in time order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([header for _, header in COLUMNS])
    for row in sorted(processing + consents, key=lambda r: r["tijdstip"]):
        writer.writerow([row[key] for key, _ in COLUMNS])
    return buffer.getvalue()
