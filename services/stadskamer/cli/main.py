"""Entry point of the ``stadskamer`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from stadskamer.cli import (
    audit_commands,
    certs_commands,
    contacts_commands,
    keys_commands,
    run_commands,
    token_commands,
)
from stadskamer.common.settings import ConfigurationError

DEFAULT_DATA_DIR = Path("./var")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stadskamer", description="Customer signals linked per citizen under pseudonyms."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_commands.add_parsers(commands, DEFAULT_DATA_DIR)
    keys_commands.add_parsers(commands, DEFAULT_DATA_DIR)
    certs_commands.add_parsers(commands, DEFAULT_DATA_DIR)
    token_commands.add_parsers(commands, DEFAULT_DATA_DIR)
    contacts_commands.add_parsers(commands)
    audit_commands.add_parsers(commands, DEFAULT_DATA_DIR)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command; configuration errors exit with code 2."""
    options = _parser().parse_args(argv)
    try:
        result: int = options.handler(options)
    except ConfigurationError as error:
        print(f"stadskamer: configuration error: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
