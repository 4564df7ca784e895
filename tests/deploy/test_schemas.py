"""Every rendered object is valid against the Kubernetes schemas, offline and strictly.

``kubernetes-validate`` ships the OpenAPI schemas of each Kubernetes release; ``strict`` also
rejects fields the schema does not know (a misspelt ``readinesProbe`` is an error, not a field
the API server would silently drop). An object whose kind has no schema fails too.
"""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from tests.deploy.manifests import KUBERNETES_VERSION, OVERLAYS, Document, named


def problems(documents: list[Document]) -> list[str]:
    """One line per object that does not validate (empty when all do)."""
    found: list[str] = []
    for document in documents:
        name = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            found.append(f"{name}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            found.append(f"{name}: {error.message}")
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_of_the_overlay_is_valid(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    assert problems(rendered[overlay]) == []


def test_the_overlays_hold_the_objects_they_should(rendered: dict[str, list[Document]]) -> None:
    kinds = {o: sorted({d["kind"] for d in docs}) for o, docs in rendered.items()}
    common = ["Deployment", "Namespace", "NetworkPolicy", "Service"]
    assert kinds["dev"] == sorted([*common, "ConfigMap", "Secret", "StatefulSet"])
    assert kinds["production"] == sorted([*common, "PodDisruptionBudget"])


def test_the_secrets_made_for_the_cluster_are_valid(cluster_secrets: list[Document]) -> None:
    assert problems(cluster_secrets) == []
    assert {d["kind"] for d in cluster_secrets} == {"Secret", "ConfigMap"}


def test_a_broken_manifest_is_caught(rendered: dict[str, list[Document]]) -> None:
    deployment = copy.deepcopy(named(rendered["production"], "Deployment", "contacts"))
    spec = deployment["spec"]["template"]["spec"]
    spec["containers"][0]["readinesProbe"] = spec["containers"][0].pop("readinessProbe")
    broken_port = copy.deepcopy(named(rendered["production"], "Service", "contacts"))
    broken_port["spec"]["ports"][0]["port"] = "fifty"
    unknown = {"apiVersion": "v1", "kind": "Servce", "metadata": {"name": "x"}}
    found = problems([deployment, broken_port, unknown])
    assert len(found) == 3
    assert "readinesProbe" in found[0]
    assert "fifty" in found[1]
