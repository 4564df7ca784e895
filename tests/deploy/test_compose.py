"""deploy/compose.yaml runs the same services, the same way, as the kustomize overlays."""

from __future__ import annotations

import re

import pytest

from tests.deploy.manifests import (
    DATA_MOUNT,
    DATABASE_SERVICES,
    DEPLOY,
    KEYS_MOUNT,
    PUBLIC_MOUNT,
    RUN_AS,
    SERVICES,
    Document,
    compose,
    named,
    plain_env,
)

# Only the cluster serves mutual TLS (compose keeps plaintext on its internal network), so only
# the cluster has the TLS files and the plaintext health port for the kubelet's probes.
CLUSTER_ONLY = ("STADSKAMER_TLS_", "STADSKAMER_PEER_TLS_", "STADSKAMER_HEALTH_PORT")
PASSWORDS = {f"PG_PASSWORD_{s.upper()}": f"secret-of-{s}" for s in DATABASE_SERVICES}
_VARIABLE = re.compile(r"\$\{([A-Z_]+)(?::[-?]([^}]*))?\}")


def interpolate(value: str, environment: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}`` in a value."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2) or ""
        return environment.get(name, default)

    return _VARIABLE.sub(replace, value)


def environment_of(service: str) -> dict[str, str]:
    """A compose service's variables as the container sees them (with the test passwords)."""
    variables = compose()["services"][service]["environment"]
    return {name: interpolate(str(value), PASSWORDS) for name, value in variables.items()}


def test_compose_runs_every_service_plus_postgresql_and_the_keys_job() -> None:
    assert set(compose()["services"]) == {*SERVICES, "keys", "postgresql"}


@pytest.mark.parametrize("service", [*SERVICES, "keys"])
def test_every_stadskamer_container_is_hardened(service: str) -> None:
    definition = compose()["services"][service]
    assert definition["user"] == f"{RUN_AS}:{RUN_AS}"
    assert definition["read_only"] is True
    assert definition["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in definition["security_opt"]
    assert definition["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert "privileged" not in definition
    assert ("ports" in definition) == (service == "gateway")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_configured_as_in_the_cluster(
    rendered: dict[str, list[Document]], service: str
) -> None:
    definition = compose()["services"][service]
    assert definition["command"] == ["serve", service]
    environment = environment_of(service)
    cluster = {
        name: value
        for name, value in plain_env(named(rendered["production"], "Deployment", service)).items()
        if not name.startswith(CLUSTER_ONLY)
    }
    assert not any(name.startswith(CLUSTER_ONLY) for name in environment)
    if service in DATABASE_SERVICES:
        url = environment.pop(f"STADSKAMER_{service.upper()}_DATABASE_URL")
        password = PASSWORDS[f"PG_PASSWORD_{service.upper()}"]
        assert url == f"postgresql+psycopg://{service}:{password}@postgresql:5432/{service}"
    assert environment == cluster


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_mounts_only_its_own_folder_of_the_keys_volume(service: str) -> None:
    volumes = compose()["services"][service]["volumes"]
    keys = {v["target"]: v for v in volumes if isinstance(v, dict) and v["source"] == "keys"}
    assert {target: v["volume"]["subpath"] for target, v in keys.items()} == {
        KEYS_MOUNT: f"services/{service}",
        PUBLIC_MOUNT: "public",
    }
    assert all(v["read_only"] is True for v in keys.values())
    others = [v for v in volumes if not isinstance(v, dict)]
    assert others == [f"{service}-data:{DATA_MOUNT}"]


def test_the_keys_job_makes_the_folders_the_services_mount() -> None:
    keys = compose()["services"]["keys"]
    script, output = keys["entrypoint"][1:]
    assert keys["entrypoint"][0] == "bash"
    assert keys["restart"] == "no" and keys["network_mode"] == "none"
    assert "./scripts:/opt/stadskamer/scripts:ro" in keys["volumes"]
    assert f"keys:{output}" in keys["volumes"]
    assert (DEPLOY / "scripts" / script.removeprefix("/opt/stadskamer/scripts/")).is_file()
    for service in SERVICES:
        depends = compose()["services"][service]["depends_on"]
        assert depends["keys"] == {"condition": "service_completed_successfully"}, service


def test_only_the_gateway_is_published_and_the_backend_has_no_way_out() -> None:
    document = compose()
    assert document["networks"]["backend"]["internal"] is True
    published = {s for s, d in document["services"].items() if "ports" in d}
    assert published == {"gateway"}
    for port in document["services"]["gateway"]["ports"]:
        assert port.startswith("${STADSKAMER_PUBLISH_ADDRESS:-127.0.0.1}:")
    for service in [*SERVICES, "postgresql"]:
        networks = document["services"][service]["networks"]
        assert networks == (["backend", "frontend"] if service == "gateway" else ["backend"])
