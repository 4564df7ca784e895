"""``stadskamer keys init`` and ``stadskamer keys export``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from stadskamer import pep
from stadskamer.common.file_modes import private_tree
from stadskamer.common.keys import DomainKeyFile, KeyLayout, init_keys, read_secret
from stadskamer.pep.factors import REKEY_LABEL


def add_parsers(commands: argparse._SubParsersAction, data_dir: Path) -> None:  # type: ignore[type-arg]
    """Register the ``keys`` command group."""
    keys = commands.add_parser("keys", help="create and export key material")
    actions = keys.add_subparsers(dest="action", required=True)
    init = actions.add_parser("init", help="create the embedded setup's secrets (mode 0600)")
    init.add_argument("--data-dir", type=Path, default=data_dir)
    init.set_defaults(handler=run_init)
    export = actions.add_parser("export", help="write one domain's decryption key to a file")
    export.add_argument("--domain", required=True)
    export.add_argument("--data-dir", type=Path, default=data_dir)
    export.add_argument(
        "--output", type=Path, help="default: <data-dir>/keys/domains/<domain>.key.json"
    )
    export.add_argument("--key-version", default="v1")
    export.set_defaults(handler=run_export)


def ensure_keys(data_dir: Path) -> list[Path]:
    """Make the data folder private (created 0700, or everything in it tightened to 0700 and
    0600), then create any missing secret under it; returns the files created."""
    private_tree(data_dir)
    return init_keys(KeyLayout.under(data_dir), pep.random_scalar())


def run_init(options: argparse.Namespace) -> int:
    """Create the secrets."""
    created = ensure_keys(options.data_dir)
    for path in created:
        print(f"created {path}")
    if not created:
        print(f"all keys already exist under {KeyLayout.under(options.data_dir).folder}")
    return 0


def export_domain_key(
    layout: KeyLayout, domain: str, key_version: str = "v1", output: Path | None = None
) -> Path:
    """Write ``y_d`` of one domain to a private file, from the data folder's or the mounted
    secrets (``STADSKAMER_MASTER_SECRET_FILE``, ``STADSKAMER_REKEY_SECRET_FILE``)."""
    master_file = Path(os.environ.get("STADSKAMER_MASTER_SECRET_FILE", layout.master_secret))
    rekey_file = Path(os.environ.get("STADSKAMER_REKEY_SECRET_FILE", layout.rekey_secret))
    rekey_factor = pep.derive_factor(read_secret(rekey_file), REKEY_LABEL, domain, key_version)
    secret, public = pep.domain_key_pair(read_secret(master_file), rekey_factor)
    target = output or layout.domain_key(domain)
    DomainKeyFile(domain, key_version, secret, public).dump(target)
    return target


def run_export(options: argparse.Namespace) -> int:
    """Export one domain's key."""
    layout = KeyLayout.under(options.data_dir)
    target = export_domain_key(layout, options.domain, options.key_version, options.output)
    print(f"wrote the {options.domain} key to {target} (mode 0600)")
    return 0
