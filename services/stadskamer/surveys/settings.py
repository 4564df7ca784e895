"""Settings of the surveys service, from environment variables.

| variable | default | meaning |
|---|---|---|
| STADSKAMER_SURVEYS_DATABASE_URL | required | SQLAlchemy URL of this service's database |
| STADSKAMER_PSEUDONYMS_ADDRESS | required | host:port of the pseudonym service |
| STADSKAMER_CONSENT_ADDRESS | required | host:port of the consent service |
| STADSKAMER_SERVICE_TOKEN_FILE | required | this service's token (role service, domain onderzoek) |
| STADSKAMER_SURVEYS_DOMAIN_KEY_FILE | required | the exported ``onderzoek`` domain key |
| STADSKAMER_AUDIT_ADDRESS or _PROCESSING_LOG_DIR | one required | the processing log |
| STADSKAMER_SURVEYS_DELIVERY | file | ``file`` (outbox folder) or ``smtp`` |
| STADSKAMER_SURVEYS_OUTBOX_DIR | required for file | folder of the message files |
| STADSKAMER_SURVEYS_SMTP_HOST | required for smtp | the SMTP server |
| STADSKAMER_SURVEYS_SMTP_PORT | 25 | its port |
| STADSKAMER_SURVEYS_SMTP_SENDER | required for smtp | the From address |
| STADSKAMER_SURVEYS_SMTP_STARTTLS | false | upgrade the connection with STARTTLS |
| STADSKAMER_SURVEYS_SMTP_USERNAME | none | login name (with the password file) |
| STADSKAMER_SURVEYS_SMTP_PASSWORD_FILE | none | file with the login password (mode 600) |
| STADSKAMER_SURVEYS_LINK_BASE | an example address | the link; the token is appended |
| STADSKAMER_SURVEYS_FATIGUE_DAYS | 30 | at most one invitation per citizen per this many days |
| STADSKAMER_SURVEYS_TOKEN_DAYS | 30 | how long a delivered link can be answered |
| STADSKAMER_SURVEYS_SAMPLING_RATES | 1.0 each | e.g. ``phone=0.5,counter=0`` (0: not surveyed) |
| STADSKAMER_SURVEYS_TOPICS | every topic | topics (and products) that are surveyed |
| STADSKAMER_SURVEYS_SAMPLING_SEED | derived from the key | hex seed of the sampling draws |
| STADSKAMER_SURVEYS_ASPECTS | bejegening,snelheid,duidelijkheid,uitkomst,bereikbaarheid | |
| STADSKAMER_SURVEYS_MIN_GROUP_SIZE | 10 | smaller groups are suppressed in the insights |
| STADSKAMER_SURVEYS_DISTRICTS | Utrecht's ten districts | district codes of the panel |
| STADSKAMER_SURVEYS_PANEL_REST_DAYS | 90 | a drawn member is not drawn again for this long |
| STADSKAMER_SURVEYS_DELIVERY_RETRY_SECONDS | 30 | how often pending deliveries are retried |

plus the server settings of :class:`stadskamer.common.server.ServerSettings`; the processing
log is described in :mod:`stadskamer.common.processing_log_settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.keys import read_private
from stadskamer.common.peers import TokenSource
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import ServerSettings
from stadskamer.surveys.domain import CHANNEL_CODES, DEFAULT_FATIGUE_DAYS, DEFAULT_TOKEN_DAYS
from stadskamer.surveys.insights import DEFAULT_MIN_GROUP_SIZE
from stadskamer.surveys.panel import DEFAULT_DISTRICTS, DEFAULT_REST_DAYS
from stadskamer.surveys.service import DEFAULT_ASPECTS, DEFAULT_LINK_BASE


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server."""

    host: str
    sender: str
    port: int = 25
    starttls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class SurveysSettings:
    """Everything the surveys service needs to start."""

    server: ServerSettings
    database_url: str
    pseudonyms_address: str
    consent_address: str
    domain_key_file: Path
    processing_log: ProcessingLogSettings
    outbox_dir: Path | None = None
    smtp: SmtpSettings | None = None
    service_token_file: Path | None = None
    service_token: TokenSource | None = field(default=None, compare=False)
    link_base: str = DEFAULT_LINK_BASE
    fatigue_days: int = DEFAULT_FATIGUE_DAYS
    token_days: int = DEFAULT_TOKEN_DAYS
    sampling_rates: tuple[tuple[str, float], ...] = ()
    topics: tuple[str, ...] = ()
    sampling_seed: bytes | None = field(default=None, repr=False)
    aspects: tuple[str, ...] = DEFAULT_ASPECTS
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    districts: tuple[str, ...] = DEFAULT_DISTRICTS
    panel_rest_days: int = DEFAULT_REST_DAYS
    delivery_retry_seconds: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SurveysSettings:
        """Read the settings; a missing or invalid variable raises ConfigurationError."""
        delivery = env.text(environ, "STADSKAMER_SURVEYS_DELIVERY", "file")
        if delivery not in ("file", "smtp"):
            raise env.ConfigurationError("STADSKAMER_SURVEYS_DELIVERY must be file or smtp")
        seed = environ.get("STADSKAMER_SURVEYS_SAMPLING_SEED", "").strip()
        return cls(
            server=ServerSettings.from_env(environ),
            database_url=env.text(environ, "STADSKAMER_SURVEYS_DATABASE_URL"),
            pseudonyms_address=env.text(environ, "STADSKAMER_PSEUDONYMS_ADDRESS"),
            consent_address=env.text(environ, "STADSKAMER_CONSENT_ADDRESS"),
            domain_key_file=env.path(environ, "STADSKAMER_SURVEYS_DOMAIN_KEY_FILE"),
            processing_log=ProcessingLogSettings.from_env(environ, "surveys"),
            outbox_dir=(
                env.path(environ, "STADSKAMER_SURVEYS_OUTBOX_DIR") if delivery == "file" else None
            ),
            smtp=_smtp(environ) if delivery == "smtp" else None,
            service_token_file=env.path(environ, "STADSKAMER_SERVICE_TOKEN_FILE"),
            link_base=env.text(environ, "STADSKAMER_SURVEYS_LINK_BASE", DEFAULT_LINK_BASE),
            fatigue_days=_positive(
                environ, "STADSKAMER_SURVEYS_FATIGUE_DAYS", DEFAULT_FATIGUE_DAYS
            ),
            token_days=_positive(environ, "STADSKAMER_SURVEYS_TOKEN_DAYS", DEFAULT_TOKEN_DAYS),
            sampling_rates=sampling_rates(environ.get("STADSKAMER_SURVEYS_SAMPLING_RATES", "")),
            topics=env.names(environ, "STADSKAMER_SURVEYS_TOPICS", ()),
            sampling_seed=_seed(seed) if seed else None,
            aspects=env.names(environ, "STADSKAMER_SURVEYS_ASPECTS", DEFAULT_ASPECTS),
            min_group_size=_positive(
                environ, "STADSKAMER_SURVEYS_MIN_GROUP_SIZE", DEFAULT_MIN_GROUP_SIZE
            ),
            districts=env.names(environ, "STADSKAMER_SURVEYS_DISTRICTS", DEFAULT_DISTRICTS),
            panel_rest_days=_positive(
                environ, "STADSKAMER_SURVEYS_PANEL_REST_DAYS", DEFAULT_REST_DAYS
            ),
            delivery_retry_seconds=_positive(
                environ, "STADSKAMER_SURVEYS_DELIVERY_RETRY_SECONDS", 30
            ),
        )

    @classmethod
    def embedded(
        cls,
        server: ServerSettings,
        data_dir: Path,
        database_url: str,
        peer_address: str,
        service_token: TokenSource,
        domain_key_file: Path,
    ) -> SurveysSettings:
        """The settings of ``stadskamer up``: peers on the same server, files under data_dir."""
        return cls(
            server=server,
            database_url=database_url,
            pseudonyms_address=peer_address,
            consent_address=peer_address,
            domain_key_file=domain_key_file,
            processing_log=ProcessingLogSettings("surveys", local_dir=data_dir / "processing-log"),
            outbox_dir=data_dir / "outbox" / "surveys",
            service_token=service_token,
        )


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    value = env.integer(environ, name, default)
    if value < 1:
        raise env.ConfigurationError(f"{name} must be at least 1, got {value}")
    return value


def _seed(text: str) -> bytes:
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        raise env.ConfigurationError("STADSKAMER_SURVEYS_SAMPLING_SEED must be hex") from None
    if len(seed) < 16:
        raise env.ConfigurationError("STADSKAMER_SURVEYS_SAMPLING_SEED needs 16 bytes or more")
    return seed


def sampling_rates(raw: str) -> tuple[tuple[str, float], ...]:
    """Parse ``channel=rate,...``: known channel codes, rates from 0 to 1."""
    found: list[tuple[str, float]] = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        channel, _, rate = part.partition("=")
        channel = channel.strip()
        try:
            value = float(rate)
        except ValueError:
            value = -1.0
        if channel not in CHANNEL_CODES or not 0.0 <= value <= 1.0:
            raise env.ConfigurationError(
                "STADSKAMER_SURVEYS_SAMPLING_RATES must be channel=rate pairs with channels "
                f"of {', '.join(sorted(CHANNEL_CODES))} and rates from 0 to 1"
            )
        found.append((channel, value))
    return tuple(found)


def _smtp(environ: Mapping[str, str]) -> SmtpSettings:
    password_file = env.optional_path(environ, "STADSKAMER_SURVEYS_SMTP_PASSWORD_FILE")
    return SmtpSettings(
        host=env.text(environ, "STADSKAMER_SURVEYS_SMTP_HOST"),
        sender=env.text(environ, "STADSKAMER_SURVEYS_SMTP_SENDER"),
        port=env.integer(environ, "STADSKAMER_SURVEYS_SMTP_PORT", 25),
        starttls=env.flag(environ, "STADSKAMER_SURVEYS_SMTP_STARTTLS"),
        username=environ.get("STADSKAMER_SURVEYS_SMTP_USERNAME", "").strip(),
        password=read_private(password_file).decode().strip() if password_file else "",
    )
