"""A realistic synthetic month of contacts for a mid-sized city, for ``stadskamer demo``.

Seeded, so every run makes the same contacts (relative to ``now``) with the same request ids:
loading it twice writes nothing new. About 3,000 contacts over 30 days in four domains,
weekday and weekend rhythms, repeat callers (some about the same topic), anonymous social
media messages, and one topic, ``energietoeslag``, climbing steeply in the last week. The
citizens are generated valid BSNs; the summaries are generic sentences without personal data.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TypeVar

from stadskamer.cli.contacts_rows import ContactRow
from stadskamer.contacts.domain import Channel

K = TypeVar("K")
SEED = 20240501
DAYS = 30
PEOPLE = 2000
SURGE_CONTACTS = 260

# domain: (weekday volume, weekend volume, topic weights, channel weights, org units)
_DOMAINS: dict[str, tuple[int, int, dict[str, int], dict[Channel, int], tuple[str, ...]]] = {
    "kcc": (
        62,
        12,
        {
            "afval": 22,
            "parkeervergunning": 14,
            "paspoort": 10,
            "verhuizing": 8,
            "belastingaanslag": 8,
            "overlast": 8,
            "openbare-ruimte": 10,
            "energietoeslag": 3,
            "overig": 6,
        },
        {
            Channel.PHONE: 45,
            Channel.EMAIL: 10,
            Channel.WEB_FORM: 12,
            Channel.CHAT: 10,
            Channel.WHATSAPP: 10,
            Channel.SOCIAL_MEDIA: 8,
            Channel.LETTER: 3,
            Channel.VIDEO: 2,
        },
        ("kcc-telefonie", "kcc-digitaal", "kcc-webcare"),
    ),
    "burgerzaken": (
        26,
        3,
        {
            "paspoort": 30,
            "id-kaart": 20,
            "rijbewijs": 20,
            "verhuizing": 15,
            "uittreksel": 10,
            "huwelijk": 5,
        },
        {
            Channel.COUNTER: 70,
            Channel.RECEPTION: 10,
            Channel.PHONE: 12,
            Channel.VIDEO: 4,
            Channel.EMAIL: 4,
        },
        ("stadswinkel-centrum", "stadswinkel-noord", "stadswinkel-west"),
    ),
    "sociale-zaken": (
        16,
        2,
        {
            "uitkering": 35,
            "bijzondere-bijstand": 20,
            "schuldhulp": 15,
            "wmo": 15,
            "jeugdzorg": 10,
            "energietoeslag": 5,
        },
        {
            Channel.PHONE: 40,
            Channel.COUNTER: 20,
            Channel.EMAIL: 15,
            Channel.WEB_FORM: 15,
            Channel.LETTER: 10,
        },
        ("werk-en-inkomen", "schuldhulpverlening", "wijkteam-zuid"),
    ),
    "belastingen": (
        10,
        1,
        {"belastingaanslag": 40, "woz-waarde": 25, "kwijtschelding": 20, "afvalstoffenheffing": 15},
        {Channel.PHONE: 40, Channel.WEB_FORM: 35, Channel.EMAIL: 15, Channel.LETTER: 10},
        ("belastingen-heffing", "belastingen-invordering"),
    ),
}
_SUMMARIES = {
    "energietoeslag": (
        "Vraag wanneer de energietoeslag wordt uitbetaald.",
        "Aanvraag energietoeslag ingediend, nog geen bericht ontvangen.",
        "Wil weten of zij recht heeft op de energietoeslag.",
    ),
    "paspoort": ("Afspraak voor een nieuw paspoort gemaakt.", "Vraag over de levertijd."),
    "afval": ("Container niet geleegd.", "Vraag over het ophaalschema van het grofvuil."),
    "uitkering": ("Vraag over de betaaldatum van de uitkering.", "Wijziging doorgegeven."),
    "belastingaanslag": ("Vraag over de hoogte van de aanslag.", "Betalingsregeling gevraagd."),
}
_GENERIC_SUMMARIES = ("Vraag beantwoord.", "Doorverwezen naar de vakafdeling.")
_REPEAT_CHANCE = {"energietoeslag": 0.45, "uitkering": 0.3, "bijzondere-bijstand": 0.3}
_REPEAT_WITHIN_HOURS = {"energietoeslag": 36}


def valid_bsn(rng: random.Random) -> str:
    """A random nine-digit number that passes the BSN 11-check."""
    while True:
        digits = [int(c) for c in f"{rng.randrange(1, 10**8):08d}"]
        check = sum(w * d for w, d in zip(range(9, 1, -1), digits, strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def _pick(rng: random.Random, weights: dict[K, int]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Month:
    """Builds the month; :meth:`rows` gives the contacts sorted by time with request ids."""

    def __init__(self, now: datetime, seed: int) -> None:
        self.now = now
        self.rng = random.Random(seed)
        self.people = [valid_bsn(self.rng) for _ in range(PEOPLE)]
        self.items: list[ContactRow] = []

    def contact(
        self,
        domain: str,
        moment: datetime,
        topic: str | None = None,
        channel: Channel | None = None,
        bsn: str | None = None,
    ) -> None:
        """Add one contact, and with a topic-dependent chance a later repeat of it."""
        rng = self.rng
        _, _, topics, channels, units = _DOMAINS[domain]
        topic = topic or _pick(rng, topics)
        chosen = channel if channel is not None else _pick(rng, channels)
        anonymous = rng.random() < (0.7 if chosen == Channel.SOCIAL_MEDIA else 0.04)
        person = "" if anonymous else bsn or rng.choice(self.people)
        solved = rng.random() < (0.45 if topic == "energietoeslag" else 0.8)
        summary = (
            rng.choice(_SUMMARIES.get(topic, _GENERIC_SUMMARIES)) if rng.random() < 0.4 else ""
        )
        self.items.append(
            ContactRow(
                "",
                domain,
                int(chosen),
                topic,
                rng.choice(units),
                moment,
                solved,
                summary,
                bsn=person,
            )
        )
        if person and rng.random() < _REPEAT_CHANCE.get(topic, 0.15):
            later = moment + timedelta(hours=rng.uniform(2, _REPEAT_WITHIN_HOURS.get(topic, 144)))
            if later < self.now:
                same = rng.random() < 0.7
                self.contact(domain, later, topic if same else None, None, person)

    def regular(self) -> None:
        """The everyday volume: per day and domain, weekday or weekend, office hours."""
        start = (self.now - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
        for day in range(DAYS + 1):
            date = start + timedelta(days=day)
            weekend = date.weekday() >= 5
            for domain, (weekday_volume, weekend_volume, *_) in _DOMAINS.items():
                volume = weekend_volume if weekend else weekday_volume
                for _ in range(max(0, round(self.rng.gauss(volume, volume * 0.15)))):
                    moment = date + timedelta(hours=self.rng.uniform(8, 20))
                    if moment < self.now - timedelta(minutes=1) and moment > self.now - timedelta(
                        days=DAYS
                    ):
                        self.contact(domain, moment)

    def surge(self) -> None:
        """Energietoeslag contacts, ever more of them towards ``now`` (mean age 40 hours)."""
        channels = {
            Channel.PHONE: 40,
            Channel.WEB_FORM: 20,
            Channel.WHATSAPP: 20,
            Channel.EMAIL: 10,
            Channel.CHAT: 10,
        }
        for _ in range(SURGE_CONTACTS):
            age = timedelta(hours=min(self.rng.expovariate(1 / 40), 7 * 24 - 1) + 0.05)
            domain = "kcc" if self.rng.random() < 0.75 else "sociale-zaken"
            chosen = _pick(self.rng, channels)
            self.contact(domain, self.now - age, "energietoeslag", chosen)

    def rows(self) -> list[ContactRow]:
        """The contacts, oldest first, with request ids ``demo-00000`` onwards."""
        ordered = sorted(self.items, key=lambda r: r.occurred_at)
        return [row.with_request_id(f"demo-{i:05d}") for i, row in enumerate(ordered)]


def demo_month(now: datetime, seed: int = SEED) -> list[ContactRow]:
    """The synthetic month ending at ``now`` (an aware datetime)."""
    month = _Month(now, seed)
    month.regular()
    month.surge()
    return month.rows()
