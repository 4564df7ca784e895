"""The texts of the messages sent to citizens (Dutch). No personal data besides the address.

An invitation carries the survey link (the link base plus the token) and says until when it
can be used; a panel approach names the study. Each also says how to stop receiving them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from stadskamer.surveys.domain import AddressKind
from stadskamer.surveys.ports import Message

_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SIGNATURE = "Met vriendelijke groet,\nGemeente"


def _date(moment: datetime) -> str:
    return moment.astimezone(_AMSTERDAM).strftime("%d-%m-%Y")


def invitation_message(
    message_id: str, kind: AddressKind, address: str, link: str, expires: datetime
) -> Message:
    """The survey invitation with its single-use link."""
    if kind is AddressKind.SMS:
        body = (
            f"Gemeente: hoe tevreden bent u over uw contact met ons? {link} "
            f"(geldig tot {_date(expires)})"
        )
        return Message(message_id, kind, address, "", body)
    body = (
        "Beste inwoner,\n\n"
        "U had onlangs contact met de gemeente. Wilt u ons vertellen hoe tevreden u bent? "
        "Het invullen duurt ongeveer twee minuten.\n\n"
        f"{link}\n\n"
        f"Deze link kunt u één keer gebruiken, tot en met {_date(expires)}. Wilt u geen "
        "vragenlijsten meer ontvangen? Laat het ons weten, dan sturen wij u er geen meer "
        "(bezwaar, artikel 21 AVG).\n\n" + SIGNATURE
    )
    return Message(message_id, kind, address, "Hoe tevreden bent u over ons contact?", body)


def approach_message(message_id: str, kind: AddressKind, address: str, study: str) -> Message:
    """A panel member is asked to take part in a study."""
    body = (
        "Beste panellid,\n\n"
        f"U bent gekozen voor het onderzoek '{study}' van de gemeente. De onderzoekers nemen "
        "binnenkort contact met u op. Meedoen is vrijwillig. Wilt u niet meer benaderd worden "
        "voor onderzoek? Trek dan uw toestemming voor het onderzoekspanel in.\n\n" + SIGNATURE
    )
    if kind is AddressKind.SMS:
        body = f"Gemeente: u bent gekozen voor onderzoek '{study}'. Wij nemen contact met u op."
    return Message(message_id, kind, address, f"Uitnodiging voor onderzoek {study}", body)
