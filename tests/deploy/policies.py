"""A small evaluator of Kubernetes NetworkPolicies: may this pod reach that one on a port?

It follows the API's semantics for what the manifests use: a pod selected by no policy of a
direction is open in that direction; otherwise a connection needs a rule of some selecting
policy (rules add up). Peers are pod selectors (in the policy's namespace), namespace
selectors, both together, or IP blocks; selectors are matchLabels and matchExpressions.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

Selector = dict[str, Any]


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace, its labels, the pod's labels) or, with ``ip``, an address outside."""

    namespace: str = ""
    namespace_labels: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    ip: str = ""


def selects(selector: Selector | None, labels: dict[str, str]) -> bool:
    """Whether a label selector selects these labels (an empty selector selects all)."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def peer_matches(peer: Selector, endpoint: Endpoint, policy_namespace: str) -> bool:
    """Whether one ``from``/``to`` entry of a rule covers the endpoint."""
    if "ipBlock" in peer:
        if not endpoint.ip:
            return False
        block = peer["ipBlock"]
        address = ipaddress.ip_address(endpoint.ip)
        excepted = any(address in ipaddress.ip_network(e) for e in block.get("except", []))
        return address in ipaddress.ip_network(block["cidr"]) and not excepted
    if endpoint.ip:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], endpoint.namespace_labels):
            return False
    elif endpoint.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], endpoint.labels)


def port_matches(ports: list[Selector] | None, port: int, protocol: str) -> bool:
    """Whether a rule's port list (absent: every port) covers the port."""
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == protocol and p.get("port") == port for p in ports)


def _allowed(
    policies: list[Selector],
    pod: Endpoint,
    other: Endpoint,
    port: int,
    protocol: str,
    direction: str,
) -> bool:
    """Whether ``pod``'s policies of one direction let ``other`` through on ``port``."""
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == pod.namespace
        and direction in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"]["podSelector"], pod.labels)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            namespace = policy["metadata"]["namespace"]
            from_peer = peers is None or any(peer_matches(p, other, namespace) for p in peers)
            if from_peer and port_matches(rule.get("ports"), port, protocol):
                return True
    return False


def may_connect(
    policies: list[Selector],
    source: Endpoint,
    target: Endpoint,
    port: int,
    protocol: str = "TCP",
) -> bool:
    """Whether the source's egress and the target's ingress both allow the connection."""
    egress = source.ip != "" or _allowed(policies, source, target, port, protocol, "Egress")
    ingress = target.ip != "" or _allowed(policies, target, source, port, protocol, "Ingress")
    return egress and ingress
