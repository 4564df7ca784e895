"""Fixtures of the deploy checks: the rendered overlays and the key material of one deployment."""

from __future__ import annotations

from pathlib import Path

import pytest

from stadskamer.cli.certs_commands import TlsLayout, init_certificates
from tests.deploy.manifests import (
    OVERLAYS,
    SERVICE_HOSTS,
    Document,
    load_all,
    render,
    run_script,
)


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Document]]:
    """Every overlay, rendered once per session."""
    return {overlay: render(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="session")
def key_material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output of deploy/scripts/make-keys.sh for a fresh deployment."""
    output = tmp_path_factory.mktemp("deployment") / "keys"
    run_script("make-keys.sh", str(output))
    return output


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of certificates that `stadskamer certs init` makes for the cluster's names."""
    data_dir = tmp_path_factory.mktemp("certificates")
    init_certificates(data_dir, ("localhost", "127.0.0.1", *SERVICE_HOSTS))
    return TlsLayout.under(data_dir).folder


@pytest.fixture(scope="session")
def cluster_secrets(key_material: Path, rendered: dict[str, list[Document]]) -> list[Document]:
    """The Secrets and ConfigMap that deploy/scripts/k8s-secrets.sh prints for that material.

    Depends on ``rendered`` so that a machine without kubectl skips (or fails) here too.
    """
    return load_all(run_script("k8s-secrets.sh", str(key_material)))
