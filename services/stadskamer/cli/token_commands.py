"""``stadskamer token issue``: sign an access token with the deployment's key."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from stadskamer.common.auth import TokenIssuer
from stadskamer.common.keys import KeyLayout
from stadskamer.common.settings import ConfigurationError

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """Seconds in ``30s``, ``15m``, ``1h`` or ``7d``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ConfigurationError(f"a duration looks like 30s, 15m, 1h or 7d, got {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def add_parsers(commands: argparse._SubParsersAction, data_dir: Path) -> None:  # type: ignore[type-arg]
    """Register the ``token`` command group."""
    token = commands.add_parser("token", help="access tokens")
    actions = token.add_subparsers(dest="action", required=True)
    issue = actions.add_parser("issue", help="print a signed access token")
    issue.add_argument("--data-dir", type=Path, default=data_dir)
    issue.add_argument("--key-file", type=Path, help="signing key (default: the data folder's)")
    issue.add_argument("--sub", required=True, help="who the token is for")
    issue.add_argument("--domain", action="append", default=[], help="repeatable")
    issue.add_argument("--role", action="append", default=[], help="repeatable")
    issue.add_argument("--ttl", default="1h", help="lifetime, e.g. 15m, 1h, 7d")
    issue.set_defaults(handler=run_issue)


def run_issue(options: argparse.Namespace) -> int:
    """Print the token on standard output."""
    key_file = options.key_file or KeyLayout.under(options.data_dir).token_private_key
    issuer = TokenIssuer.from_file(key_file)
    print(issuer.issue(options.sub, options.domain, options.role, parse_duration(options.ttl)))
    return 0
