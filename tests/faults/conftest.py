"""``stadskamer up`` as a subprocess (so its memory can be measured), shared by a module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from stadskamer.cli.keys_commands import ensure_keys
from stadskamer.common.auth import KNOWN_ROLES, TokenIssuer
from stadskamer.common.keys import KeyLayout
from tests.faults.cluster import COMMAND, free_port, start_announced, stop
from tests.faults.traffic import DOMAINS


@dataclass(frozen=True)
class Up:
    """A running ``stadskamer up``: process id, a channel, a token for everything, data folder."""

    pid: int
    channel: grpc.Channel
    token: str
    data_dir: Path

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The bearer header."""
        return (("authorization", f"Bearer {self.token}"),)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """Every service on SQLite in one subprocess; stopped gracefully afterwards."""
    data = tmp_path_factory.mktemp("up")
    ensure_keys(data / "var")
    issuer = TokenIssuer.from_file(KeyLayout.under(data / "var").token_private_key)
    command = [COMMAND, "up", "--data-dir", str(data / "var"), "--grpc-port", str(free_port())]
    process, address = start_announced(
        [*command, "--http-port", "0", "--log-level", "WARNING"], {}, Path(data / "up.log")
    )
    token = issuer.issue("faults", [*DOMAINS, "consent", "audit"], sorted(KNOWN_ROLES), 3600)
    channel = grpc.insecure_channel(address)
    try:
        yield Up(process.pid, channel, token, data / "var")
    finally:
        channel.close()
        assert stop(process) == 0
