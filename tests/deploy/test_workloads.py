"""The pods are hardened, probed, sized and spread as docs/operations.md says."""

from __future__ import annotations

import pytest

from tests.deploy.manifests import (
    DATA_MOUNT,
    DATABASE_SERVICES,
    HEALTH_PORT,
    OVERLAYS,
    RUN_AS,
    SERVICES,
    Document,
    container,
    mounts,
    named,
    of_kind,
    plain_env,
    pod_spec,
    workloads,
)

GRPC_PORT = 50051


def deployments(documents: list[Document]) -> dict[str, Document]:
    """The Stadskamer Deployments by name."""
    return {d["metadata"]["name"]: d for d in of_kind(documents, "Deployment")}


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether plain matchLabels select these labels."""
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_deployment_and_a_service(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    documents = rendered[overlay]
    assert sorted(deployments(documents)) == sorted(SERVICES)
    for name, deployment in deployments(documents).items():
        assert container(deployment)["args"] == ["serve", name]
        assert container(deployment)["image"].startswith("stadskamer:")
        service = named(documents, "Service", name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert matches(service["spec"]["selector"], labels)
        ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
        container_ports = {p["name"]: p["containerPort"] for p in container(deployment)["ports"]}
        assert ports == container_ports
        expected = {"grpc": GRPC_PORT, "http": 8080} if name == "gateway" else {"grpc": GRPC_PORT}
        assert ports == expected


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_hardened(rendered: dict[str, list[Document]], overlay: str) -> None:
    for workload in workloads(rendered[overlay]):
        name = workload["metadata"]["name"]
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["enableServiceLinks"] is False, name
        context = container(workload)["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"] == {"drop": ["ALL"]}, name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert "hostNetwork" not in pod and "hostPID" not in pod, name
        resources = container(workload)["resources"]
        for bound in ("requests", "limits"):
            assert set(resources[bound]) == {"cpu", "memory"}, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_services_run_as_the_image_user_who_may_read_the_secrets(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    for deployment in deployments(rendered[overlay]).values():
        context = pod_spec(deployment)["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (RUN_AS,) * 3
        for volume in pod_spec(deployment)["volumes"]:
            if "secret" in volume:
                assert volume["secret"]["defaultMode"] == 0o400


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_native_grpc_probes_on_its_plaintext_health_port(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    for name, deployment in deployments(rendered[overlay]).items():
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container(deployment)[probe]["grpc"] == {"port": HEALTH_PORT}, (name, probe)
        assert plain_env(deployment)["STADSKAMER_HEALTH_PORT"] == str(HEALTH_PORT)
        assert plain_env(deployment)["STADSKAMER_GRPC_PORT"] == str(GRPC_PORT)
        assert plain_env(deployment)["STADSKAMER_GRPC_HOST"] == "0.0.0.0"
        grace = float(plain_env(deployment)["STADSKAMER_GRACE_SECONDS"])
        assert grace + 5 < pod_spec(deployment)["terminationGracePeriodSeconds"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_empty_dirs_are_writable_and_every_folder_is_on_one(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    for name, deployment in deployments(rendered[overlay]).items():
        found = {m.path: m for m in mounts(deployment)}
        assert found[DATA_MOUNT].kind == "emptyDir", name
        assert found["/tmp"].kind == "emptyDir", name
        writable = {
            m["mountPath"] for m in container(deployment)["volumeMounts"] if not m.get("readOnly")
        }
        assert writable == {DATA_MOUNT, "/tmp"}, name
        for variable, value in plain_env(deployment).items():
            if variable.endswith("_DIR"):
                assert value.startswith(f"{DATA_MOUNT}/"), (name, variable)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_processing_records_go_to_the_audit_service_not_to_a_pod_folder(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    for name, deployment in deployments(rendered[overlay]).items():
        environment = plain_env(deployment)
        assert "STADSKAMER_PROCESSING_LOG_DIR" not in environment, name
        if name != "audit":
            assert environment["STADSKAMER_AUDIT_ADDRESS"] == f"audit:{GRPC_PORT}", name


def test_production_runs_two_replicas_of_everything_with_budgets_and_spread(
    rendered: dict[str, list[Document]],
) -> None:
    documents = rendered["production"]
    budgets = of_kind(documents, "PodDisruptionBudget")
    for name, deployment in deployments(documents).items():
        assert deployment["spec"]["replicas"] >= 2, name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [b for b in budgets if matches(b["spec"]["selector"]["matchLabels"], labels)]
        assert len(covering) == 1, name
        assert 1 <= covering[0]["spec"]["minAvailable"] < deployment["spec"]["replicas"]
        spread = pod_spec(deployment)["topologySpreadConstraints"]
        by_node = [c for c in spread if c["topologyKey"] == "kubernetes.io/hostname"]
        assert by_node and by_node[0]["whenUnsatisfiable"] == "DoNotSchedule", name
        for constraint in spread:
            assert matches(constraint["labelSelector"]["matchLabels"], labels)
            assert "app.kubernetes.io/name" in constraint["matchLabelKeys"]


def test_dev_runs_one_replica_of_everything(rendered: dict[str, list[Document]]) -> None:
    for name, deployment in deployments(rendered["dev"]).items():
        assert deployment["spec"]["replicas"] == 1, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_database_url_comes_from_the_services_own_secret(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    for name, deployment in deployments(rendered[overlay]).items():
        references = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container(deployment)["env"]
            if "valueFrom" in e
        }
        if name not in DATABASE_SERVICES:
            assert references == {}
            continue
        reference = references.pop(f"STADSKAMER_{name.upper()}_DATABASE_URL")
        assert references == {}
        assert reference["key"] == "url"
        if overlay == "production":
            assert reference["name"] == f"{name}-database"
        else:
            assert reference["name"].startswith(f"{name}-database-")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_namespace_enforces_the_restricted_pod_security_standard(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    (namespace,) = of_kind(rendered[overlay], "Namespace")
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    others = {d["metadata"].get("namespace") for d in rendered[overlay] if d["kind"] != "Namespace"}
    assert others == {namespace["metadata"]["name"]}
