"""Each service holds only the keys of its own domains, and finds every file it is told to read.

The key material is the real output of deploy/scripts/make-keys.sh; the Secrets are what
deploy/scripts/k8s-secrets.sh makes of it; the mounts and paths come from the rendered
overlays.
"""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stadskamer.common.auth import TokenVerifier
from stadskamer.common.keys import read_ed25519_private_key, read_ed25519_public_key
from tests.deploy.manifests import (
    DOMAINS_OF,
    KEYS_MOUNT,
    OVERLAYS,
    PUBLIC_MOUNT,
    SERVICE_HOSTS,
    SERVICES,
    TLS_MOUNT,
    TLS_SECRET,
    Document,
    container,
    file_paths,
    mounts,
    named,
    of_kind,
    plain_env,
    secret_items,
)

# Every secret of the deployment, and the one service that may hold it (None: no service).
SECRET_OWNERS = {
    "master.secret": "pseudonyms",
    "pseudonymisation.secret": "pseudonyms",
    "rekey.secret": "pseudonyms",
    "tag-signing.pem": "pseudonyms",
    "consent-signing.pem": "consent",
    "audit-signing.pem": "audit",
    "token-signing.pem": None,
}


def raw(key: Ed25519PublicKey) -> bytes:
    """The 32 bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def service_files(key_material: Path) -> dict[str, dict[str, bytes]]:
    """The files of every service folder, by service and file name."""
    return {
        folder.name: {f.name: f.read_bytes() for f in folder.iterdir()}
        for folder in (key_material / "services").iterdir()
    }


def test_each_secret_goes_to_its_one_owner_only(key_material: Path) -> None:
    files = service_files(key_material)
    for secret, owner in SECRET_OWNERS.items():
        content = (key_material / "master" / "keys" / secret).read_bytes()
        holders = {s for s, named_files in files.items() if content in named_files.values()}
        assert holders == ({owner} if owner else set()), secret


def test_each_service_gets_exactly_the_keys_and_token_of_its_domains(key_material: Path) -> None:
    files = service_files(key_material)
    assert set(files) == set(SERVICES)
    verifier = TokenVerifier.from_files(None, key_material / "public" / "jwks.json")
    for service, named_files in files.items():
        key_domains = {
            json.loads(content)["domain"]
            for name, content in named_files.items()
            if name.endswith(".key.json")
        }
        assert key_domains == DOMAINS_OF[service], service
        principal = verifier.verify(named_files["service.token"].decode().strip())
        assert principal.domains == DOMAINS_OF[service], service
        assert principal.roles == frozenset({"service"})
        assert principal.subject == f"{service}-service"


def test_every_private_file_is_readable_by_its_owner_only(key_material: Path) -> None:
    for path in (key_material / "services").rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    for path in (key_material / "public").iterdir():
        assert b"PRIVATE" not in path.read_bytes(), path


def test_the_public_keys_are_the_halves_of_the_signing_keys(key_material: Path) -> None:
    public = key_material / "public"
    for service, signing in (("consent", "consent-signing"), ("audit", "audit-signing")):
        private = read_ed25519_private_key(key_material / "services" / service / f"{signing}.pem")
        published = read_ed25519_public_key(public / f"{signing}.pub.pem")
        assert raw(published) == raw(private.public_key()), signing
    issuer = read_ed25519_private_key(key_material / "master" / "keys" / "token-signing.pem")
    document = json.loads((public / "jwks.json").read_text())
    assert [k["x"] for k in document["keys"]] == [
        base64.urlsafe_b64encode(raw(issuer.public_key())).rstrip(b"=").decode()
    ]


def test_the_cluster_secrets_hold_exactly_the_service_folders(
    key_material: Path, cluster_secrets: list[Document]
) -> None:
    files = service_files(key_material)
    secrets = {d["metadata"]["name"]: d for d in of_kind(cluster_secrets, "Secret")}
    assert set(secrets) == {f"{s}-keys" for s in files}
    for service, named_files in files.items():
        data = secrets[f"{service}-keys"]["data"]
        assert {k: base64.b64decode(v) for k, v in data.items()} == named_files
    public = named(cluster_secrets, "ConfigMap", "stadskamer-public-keys")
    expected = {f.name for f in (key_material / "public").iterdir()}
    assert set(public["data"]) == expected


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_pod_mounts_a_secret_of_another_service(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    for deployment in of_kind(rendered[overlay], "Deployment"):
        service = deployment["metadata"]["name"]
        found = {m.path: m for m in mounts(deployment)}
        secrets = {m.source for m in found.values() if m.kind == "secret"}
        assert secrets == {f"{service}-keys", TLS_SECRET}, service
        assert found[KEYS_MOUNT].source == f"{service}-keys"
        assert found[PUBLIC_MOUNT].source == "stadskamer-public-keys"
        volumes = deployment["spec"]["template"]["spec"]["volumes"]
        assert all("projected" not in v and "hostPath" not in v for v in volumes), service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_file_a_service_is_told_to_read_is_in_what_it_mounts(
    rendered: dict[str, list[Document]], overlay: str, key_material: Path, tls_material: Path
) -> None:
    for deployment in of_kind(rendered[overlay], "Deployment"):
        service = deployment["metadata"]["name"]
        found = mounts(deployment)
        for variable, value in plain_env(deployment).items():
            for path in file_paths(value):
                folder, _, file_name = path.rpartition("/")
                (mount,) = [m for m in found if m.path == folder]
                if mount.source == TLS_SECRET:
                    key = secret_items(deployment, TLS_MOUNT)[file_name]
                    assert (tls_material / key).is_file(), (service, variable, path)
                    continue
                if mount.kind == "secret":
                    source = key_material / "services" / mount.source.removesuffix("-keys")
                else:
                    assert mount.kind == "configMap"
                    source = key_material / "public"
                assert (source / file_name).is_file(), (service, variable, path)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_pod_gets_the_ca_and_only_its_own_certificate_read_only(
    rendered: dict[str, list[Document]], overlay: str
) -> None:
    for deployment in of_kind(rendered[overlay], "Deployment"):
        service = deployment["metadata"]["name"]
        (mount,) = [m for m in container(deployment)["volumeMounts"] if m["mountPath"] == TLS_MOUNT]
        assert mount["readOnly"] is True, service
        pair = "gateway" if service == "gateway" else "server"
        expected = {"ca.pem", f"{pair}.pem", f"{pair}.key"}
        assert secret_items(deployment, TLS_MOUNT) == {f: f for f in expected}, service
        environment = plain_env(deployment)
        prefixes = ["STADSKAMER_PEER_TLS"]
        if service == "gateway":
            assert "STADSKAMER_TLS_CA_FILE" not in environment
        else:
            prefixes.append("STADSKAMER_TLS")
        for prefix in prefixes:
            assert environment[f"{prefix}_CA_FILE"] == f"{TLS_MOUNT}/ca.pem", service
            assert environment[f"{prefix}_CERT_FILE"] == f"{TLS_MOUNT}/{pair}.pem", service
            assert environment[f"{prefix}_KEY_FILE"] == f"{TLS_MOUNT}/{pair}.key", service


def test_certs_init_with_the_service_names_certifies_every_service_address(
    tls_material: Path,
) -> None:
    certificate = x509.load_pem_x509_certificate((tls_material / "server.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(SERVICE_HOSTS) <= set(names.get_values_for_type(x509.DNSName))
