"""The receipt (ontvangstbevestiging) a front end can send to the complainant, in Dutch.

It holds the case number and dates only: no name, no address, no description, so it is safe
to pass through any channel and to show in logs of the front end.
"""

from __future__ import annotations

from datetime import date

from stadskamer.complaints.domain import Complaint
from stadskamer.complaints.workdays import local_date

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def dutch_date(day: date, weekday: bool = False) -> str:
    """``19 mei 2026``, or ``dinsdag 19 mei 2026`` with ``weekday``."""
    text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def receipt_text(complaint: Complaint) -> str:
    """The receipt of a filed complaint."""
    paragraphs = [
        f"Wij hebben uw klacht ontvangen op {dutch_date(local_date(complaint.received_at))}. "
        f"Uw zaaknummer is {complaint.case_number}. Noem dit nummer als u contact met ons "
        "opneemt over uw klacht.",
        f"Wij bellen u uiterlijk op {dutch_date(complaint.callback_due, weekday=True)} om uw "
        "klacht te bespreken. U kiest dan zelf hoe wij uw klacht behandelen: in een gesprek, "
        "of met een hoorzitting waarna u een verslag en een schriftelijke beslissing krijgt.",
    ]
    if complaint.about_official:
        paragraphs.append(
            "Uw klacht gaat over een medewerker. Wij stellen daarom voor te beginnen met een "
            "gesprek tussen u, deze medewerker en de klachtencoördinator."
        )
    paragraphs.append(
        f"U krijgt onze beslissing uiterlijk op {dutch_date(complaint.decision_due)}. Hebben "
        "wij meer tijd nodig, dan kunnen wij deze termijn één keer met vier weken verlengen. "
        "Dat laten wij u dan schriftelijk weten."
    )
    return "\n\n".join(paragraphs)
