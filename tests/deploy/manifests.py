"""Rendering and reading the deployment files of ``deploy/``, and what they must say.

The kustomize overlays are rendered with ``kubectl kustomize`` (Debian package ``kubectl``).
Without kubectl the tests that need it are skipped with a plain message, unless
``STADSKAMER_REQUIRE_KUBECTL=1`` (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ("dev", "production")
KUBERNETES_VERSION = "1.33.0"
REQUIRE_KUBECTL = os.environ.get("STADSKAMER_REQUIRE_KUBECTL", "") == "1"

SERVICES = ("pseudonyms", "consent", "contacts", "complaints", "surveys", "audit", "gateway")
DATABASE_SERVICES = tuple(s for s in SERVICES if s != "gateway")
# The domains whose keys (and token) each service holds; pseudonyms holds y, PS and ES instead.
DOMAINS_OF: dict[str, frozenset[str]] = {
    "pseudonyms": frozenset(),
    "consent": frozenset({"consent"}),
    "contacts": frozenset({"kcc", "burgerzaken", "sociale-zaken", "belastingen"}),
    "complaints": frozenset({"klachten"}),
    "surveys": frozenset({"onderzoek"}),
    "audit": frozenset({"audit"}),
    "gateway": frozenset(),
}
KEYS_MOUNT = "/etc/stadskamer/keys"
PUBLIC_MOUNT = "/etc/stadskamer/public"
DATA_MOUNT = "/var/lib/stadskamer"
TLS_MOUNT = "/etc/stadskamer/tls"
TLS_SECRET = "stadskamer-tls"
HEALTH_PORT = 8081
# The names the services are reached by (their Services), which their certificate must carry.
SERVICE_HOSTS = tuple(s for s in SERVICES if s != "gateway")
RUN_AS = 10001

Document = dict[str, Any]


def kubectl() -> str:
    """The kubectl binary; skips (or fails, when required) the test without one."""
    found = shutil.which("kubectl")
    if found:
        return found
    message = (
        "kubectl is not on PATH, so the kustomize overlays cannot be rendered "
        "(Debian: apt-get install kubectl)"
    )
    if REQUIRE_KUBECTL:
        pytest.fail(message)
    pytest.skip(f"deploy checks skipped: {message}")


def load_all(text: str) -> list[Document]:
    """Every non-empty YAML document in ``text``."""
    return [document for document in yaml.safe_load_all(text) if document]


def render(overlay: str) -> list[Document]:
    """The objects of one overlay, as ``kubectl kustomize`` renders them."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(DEPLOY / "kustomize" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {overlay} failed:\n{result.stderr}")
    return load_all(result.stdout)


def tool_environment() -> dict[str, str]:
    """The environment for the deploy scripts: this interpreter's ``stadskamer`` first."""
    environment = dict(os.environ)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    for name in ("STADSKAMER_EXTRA_TOKEN_KEYS", "STADSKAMER_KEY_VERSION"):
        environment.pop(name, None)
    return environment


def run_script(name: str, *arguments: str) -> str:
    """Run a script of ``deploy/scripts`` and return what it printed; fail on an error."""
    result = subprocess.run(
        ["bash", str(DEPLOY / "scripts" / name), *arguments],
        capture_output=True,
        text=True,
        env=tool_environment(),
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"{name} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def of_kind(documents: list[Document], kind: str) -> list[Document]:
    """The objects of one kind."""
    return [d for d in documents if d["kind"] == kind]


def named(documents: list[Document], kind: str, name: str) -> Document:
    """The one object of a kind with a name."""
    found = [d for d in of_kind(documents, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def workloads(documents: list[Document]) -> list[Document]:
    """The Deployments and StatefulSets."""
    return [d for d in documents if d["kind"] in {"Deployment", "StatefulSet"}]


def pod_spec(workload: Document) -> Document:
    """The pod template's spec of a workload."""
    spec: Document = workload["spec"]["template"]["spec"]
    return spec


def container(workload: Document) -> Document:
    """The one container of a Stadskamer workload."""
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1, workload["metadata"]["name"]
    only: Document = containers[0]
    return only


@dataclass(frozen=True)
class Mount:
    """A mounted folder and where its files come from: a Secret, ConfigMap or emptyDir."""

    path: str
    kind: str
    source: str


def mounts(workload: Document) -> list[Mount]:
    """The mounts of a workload's container, resolved to their volumes."""
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    found: list[Mount] = []
    for mount in container(workload).get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "secret" in volume:
            found.append(Mount(mount["mountPath"], "secret", volume["secret"]["secretName"]))
        elif "configMap" in volume:
            found.append(Mount(mount["mountPath"], "configMap", volume["configMap"]["name"]))
        elif "emptyDir" in volume:
            found.append(Mount(mount["mountPath"], "emptyDir", mount["name"]))
        else:
            found.append(Mount(mount["mountPath"], "other", mount["name"]))
    return found


def secret_items(workload: Document, mount_path: str) -> dict[str, str]:
    """The files of the Secret mounted at ``mount_path`` that the pod gets: path -> key."""
    by_path = {m["mountPath"]: m["name"] for m in container(workload).get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    items = volumes[by_path[mount_path]]["secret"].get("items", [])
    return {item["path"]: item["key"] for item in items}


def plain_env(workload: Document) -> dict[str, str]:
    """The container's variables with a literal value."""
    return {e["name"]: e["value"] for e in container(workload).get("env", []) if "value" in e}


def env_names(workload: Document) -> list[str]:
    """The names of every variable of the container."""
    return [e["name"] for e in container(workload).get("env", [])]


def file_paths(value: str) -> Iterator[str]:
    """The mounted files (secrets, public keys) named in a variable, one or a list."""
    for part in value.split(","):
        part = part.strip()
        if part.startswith("/etc/stadskamer/"):
            yield part


def compose() -> Document:
    """deploy/compose.yaml, parsed (anchors and merge keys resolved)."""
    document: Document = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return document
