"""The variables the manifests set are the ones the services read, and they start a service.

Every ``STADSKAMER_`` name in a Deployment (and in compose.yaml) must occur in that service's
settings modules or in the settings every server shares, which catches a misspelt name that a
service would silently ignore. Then each service's settings are read from the production
manifest's environment (mounted paths pointed at the real output of make-keys.sh, the database
at a SQLite file) and the service is built from them: keys load, modes pass, domains match.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stadskamer.cli.registry import SERVICES as REGISTERED
from tests.deploy.manifests import (
    DATA_MOUNT,
    KEYS_MOUNT,
    OVERLAYS,
    PUBLIC_MOUNT,
    ROOT,
    SERVICES,
    TLS_MOUNT,
    Document,
    compose,
    container,
    env_names,
    named,
    of_kind,
)

COMMON_SETTINGS = (
    ROOT / "services/stadskamer/common/server.py",
    ROOT / "services/stadskamer/common/channels.py",
    ROOT / "services/stadskamer/common/processing_log_settings.py",
    ROOT / "services/stadskamer/cli/run_commands.py",
)
OWN_SETTINGS: dict[str, tuple[Path, ...]] = {
    "pseudonyms": (ROOT / "services/stadskamer/pseudonyms/settings.py",),
    "consent": (ROOT / "consent/stadskamer/consent/settings.py",),
    "contacts": (ROOT / "services/stadskamer/contacts/settings.py",),
    "complaints": (ROOT / "services/stadskamer/complaints/settings.py",),
    "surveys": (ROOT / "services/stadskamer/surveys/settings.py",),
    "audit": (ROOT / "services/stadskamer/audit/settings.py",),
    "gateway": tuple(sorted((ROOT / "gateway").rglob("settings.py"))),
}


def unknown_names(service: str, names: list[str]) -> list[str]:
    """The ``STADSKAMER_`` names that the service's settings never mention."""
    text = "\n".join(p.read_text() for p in (*OWN_SETTINGS[service], *COMMON_SETTINGS))
    wanted = [n for n in names if n.startswith("STADSKAMER_")]
    return [n for n in wanted if not re.search(rf"\b{n}\b", text)]


def test_every_service_has_its_settings_module() -> None:
    for service, paths in OWN_SETTINGS.items():
        assert paths and all(p.is_file() for p in paths), service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_of_a_deployment_is_read_by_its_service(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    for deployment in of_kind(rendered[overlay], "Deployment"):
        service = deployment["metadata"]["name"]
        assert unknown_names(service, env_names(deployment)) == [], service


def test_every_variable_of_a_compose_service_is_read_by_its_service() -> None:
    for service in SERVICES:
        names = list(compose()["services"][service]["environment"])
        assert unknown_names(service, names) == [], service


def test_a_misspelt_variable_is_caught(rendered: dict[str, list[Document]]) -> None:
    contacts = named(rendered["production"], "Deployment", "contacts")
    names = [*env_names(contacts), "STADSKAMER_CONTACT_DOMAINS"]
    assert unknown_names("contacts", names) == ["STADSKAMER_CONTACT_DOMAINS"]


def test_every_deployment_runs_a_service_that_stadskamer_serve_knows(
    rendered: dict[str, list[Document]],
) -> None:
    served = {container(d)["args"][1] for d in of_kind(rendered["production"], "Deployment")}
    assert served == set(REGISTERED) == set(SERVICES)


def local_environment(
    deployment: Document, key_material: Path, tls_material: Path, data_dir: Path
) -> dict[str, str]:
    """The Deployment's environment with its mounts pointed at local folders."""
    service = deployment["metadata"]["name"]
    replacements = {
        KEYS_MOUNT: str(key_material / "services" / service),
        PUBLIC_MOUNT: str(key_material / "public"),
        TLS_MOUNT: str(tls_material),
        DATA_MOUNT: str(data_dir),
    }
    environment: dict[str, str] = {}
    for variable in container(deployment)["env"]:
        if "valueFrom" in variable:
            environment[variable["name"]] = f"sqlite:///{data_dir / 'database.db'}"
            continue
        value = variable["value"]
        for mounted, local in replacements.items():
            value = value.replace(mounted, local)
        environment[variable["name"]] = value
    return environment


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_starts_from_its_production_environment(
    rendered: dict[str, list[Document]],
    key_material: Path,
    tls_material: Path,
    tmp_path: Path,
    service: str,
) -> None:
    deployment = named(rendered["production"], "Deployment", service)
    entry = REGISTERED[service]
    environment = local_environment(deployment, key_material, tls_material, tmp_path)
    settings = entry.from_env(environment)
    component = entry.build_component(settings)
    try:
        assert component.service_names
    finally:
        component.close()
