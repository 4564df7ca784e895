"""Where a service sends its processing records: the audit service, or a local file.

| variable | default | meaning |
|---|---|---|
| STADSKAMER_AUDIT_ADDRESS | none | host:port of the audit service (ProcessingLogService) |
| STADSKAMER_SERVICE_TOKEN_FILE | required with the address | this service's token (role service) |
| STADSKAMER_PROCESSING_LOG_DIR | required without an address | folder of a local JSON-lines log |

With an audit address every record goes, fail-closed, to the tamper-evident log. The local
file is for a service run on its own without an audit service (a test, a single-host trial);
its folder is made private (mode 0700) at every start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.file_modes import private_folder
from stadskamer.common.peers import FileTokenSource, TokenSource
from stadskamer.common.processing_log import JsonLinesProcessingLog, ProcessingLog
from stadskamer.common.remote_processing_log import RemoteProcessingLog


@dataclass(frozen=True)
class ProcessingLogSettings:
    """The processing log of one service."""

    service: str
    audit_address: str = ""
    token: TokenSource | None = field(default=None, compare=False)
    local_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], service: str) -> ProcessingLogSettings:
        """The audit service when its address is set, else the local folder."""
        address = environ.get("STADSKAMER_AUDIT_ADDRESS", "").strip()
        if address:
            token_file = env.path(environ, "STADSKAMER_SERVICE_TOKEN_FILE")
            return cls(service, address, FileTokenSource(token_file))
        if not environ.get("STADSKAMER_PROCESSING_LOG_DIR", "").strip():
            raise env.ConfigurationError(
                "STADSKAMER_AUDIT_ADDRESS or STADSKAMER_PROCESSING_LOG_DIR is required"
            )
        return cls(service, local_dir=env.path(environ, "STADSKAMER_PROCESSING_LOG_DIR"))

    @classmethod
    def remote(cls, service: str, audit_address: str, token: TokenSource) -> ProcessingLogSettings:
        """The audit service at ``audit_address``, called with ``token``."""
        return cls(service, audit_address, token)

    def open(self) -> ProcessingLog:
        """The processing log these settings describe."""
        if self.audit_address:
            if self.token is None:
                raise env.ConfigurationError(f"{self.service}: no token for the audit service")
            return RemoteProcessingLog.connect(self.audit_address, self.token)
        if self.local_dir is None:
            raise env.ConfigurationError(f"{self.service}: no processing log configured")
        return JsonLinesProcessingLog.for_service(private_folder(self.local_dir), self.service)
