"""The network policies allow exactly the calls of the architecture, and select real pods."""

from __future__ import annotations

import itertools

import pytest

from tests.deploy.manifests import DATABASE_SERVICES, OVERLAYS, SERVICES, Document, of_kind
from tests.deploy.policies import Endpoint, may_connect, selects

GRPC = 50051
# Who calls whom (shared/design/architecture.md): the gateway fans out to the services; every
# service turns pseudonyms through the pseudonym service and logs processing to audit;
# surveys and the gateway check consent; contacts and complaints hand their events to surveys.
EXPECTED_CALLS = {
    *(("gateway", s) for s in SERVICES if s != "gateway"),
    *((s, "pseudonyms") for s in ("consent", "contacts", "complaints", "surveys", "audit")),
    *((s, "audit") for s in ("pseudonyms", "consent", "contacts", "complaints", "surveys")),
    ("surveys", "consent"),
    ("complaints", "surveys"),
    ("contacts", "surveys"),
}
FRONT_END = Endpoint("web", {"stadskamer/front-end": "true"}, {"app": "kcc-screen"})
STRANGER = Endpoint("other", {}, {"app": "anything"})
KUBE_DNS = Endpoint(
    "kube-system", {"kubernetes.io/metadata.name": "kube-system"}, {"k8s-app": "kube-dns"}
)


def pods(documents: list[Document]) -> dict[str, Endpoint]:
    """The pods the workloads make, by workload name."""
    (namespace,) = of_kind(documents, "Namespace")
    name = namespace["metadata"]["name"]
    labels = {**namespace["metadata"].get("labels", {}), "kubernetes.io/metadata.name": name}
    return {
        w["metadata"]["name"]: Endpoint(name, labels, w["spec"]["template"]["metadata"]["labels"])
        for w in documents
        if w["kind"] in {"Deployment", "StatefulSet"}
    }


def policies(documents: list[Document]) -> list[Document]:
    """The NetworkPolicies."""
    return of_kind(documents, "NetworkPolicy")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_policy_and_every_pod_peer_selects_existing_pods(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    labels = [p.labels for p in pods(rendered[overlay]).values()]
    for policy in policies(rendered[overlay]):
        name = policy["metadata"]["name"]
        assert any(selects(policy["spec"]["podSelector"], pod) for pod in labels), name
        rules = [*policy["spec"].get("ingress", []), *policy["spec"].get("egress", [])]
        peers = [peer for rule in rules for peer in rule.get("from", rule.get("to", []))]
        for peer in peers:
            if "podSelector" in peer and "namespaceSelector" not in peer:
                assert any(selects(peer["podSelector"], pod) for pod in labels), (name, peer)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_services_may_make_exactly_the_calls_of_the_architecture(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    found = pods(rendered[overlay])
    allowed = {
        (a, b)
        for a, b in itertools.permutations(SERVICES, 2)
        if may_connect(policies(rendered[overlay]), found[a], found[b], GRPC)
    }
    assert allowed == EXPECTED_CALLS


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_front_ends_reach_the_gateway_and_nothing_else(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    found = pods(rendered[overlay])
    rules = policies(rendered[overlay])
    for port in (GRPC, 8080):
        assert may_connect(rules, FRONT_END, found["gateway"], port)
    assert not may_connect(rules, FRONT_END, found["gateway"], 5432)
    for name, pod in found.items():
        assert not may_connect(rules, STRANGER, pod, GRPC), name
        if name != "gateway":
            assert not may_connect(rules, FRONT_END, pod, GRPC), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_may_ask_the_cluster_dns_and_nothing_outside(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    rules = policies(rendered[overlay])
    for name, pod in pods(rendered[overlay]).items():
        assert may_connect(rules, pod, KUBE_DNS, 53, "UDP"), name
        assert not may_connect(rules, pod, Endpoint(ip="203.0.113.7"), 443), name
        assert not may_connect(rules, pod, STRANGER, GRPC), name


def test_in_dev_only_the_database_services_reach_postgresql(
    rendered: dict[str, list[Document]],
) -> None:
    found = pods(rendered["dev"])
    rules = policies(rendered["dev"])
    reaching = {s for s in SERVICES if may_connect(rules, found[s], found["postgresql"], 5432)}
    assert reaching == set(DATABASE_SERVICES)
    assert not may_connect(rules, STRANGER, found["postgresql"], 5432)
    assert not may_connect(rules, found["postgresql"], found["pseudonyms"], GRPC)


def test_in_production_the_database_services_reach_the_postgresql_range_only(
    rendered: dict[str, list[Document]],
) -> None:
    found = pods(rendered["production"])
    rules = policies(rendered["production"])
    (policy,) = [p for p in rules if p["metadata"]["name"] == "allow-postgresql"]
    cidr = policy["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"]
    database = Endpoint(ip=cidr.split("/")[0])
    reaching = {s for s in SERVICES if may_connect(rules, found[s], database, 5432)}
    assert reaching == set(DATABASE_SERVICES)
    assert not any(may_connect(rules, found[s], database, 80) for s in SERVICES)
