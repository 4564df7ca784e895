"""One PostgreSQL database and role per service, the same in compose and in the dev overlay."""

from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

from tests.deploy.manifests import (
    DATABASE_SERVICES,
    DEPLOY,
    Document,
    compose,
    container,
    named,
    of_kind,
)

INIT_SCRIPT = DEPLOY / "postgres" / "init-databases.sh"


def secret_value(documents: list[Document], prefix: str, key: str) -> str:
    """A key of the one generated Secret whose name starts with ``prefix-``."""
    (secret,) = [
        s for s in of_kind(documents, "Secret") if s["metadata"]["name"].startswith(f"{prefix}-")
    ]
    return base64.b64decode(secret["data"][key]).decode()


def test_the_init_script_creates_a_database_for_every_service_that_has_one() -> None:
    text = INIT_SCRIPT.read_text()
    (loop,) = re.findall(r"^for service in (.+); do$", text, re.MULTILINE)
    assert loop.split() == list(DATABASE_SERVICES)
    assert "REVOKE ALL ON DATABASE" in text
    assert INIT_SCRIPT.stat().st_mode & 0o111


def test_compose_gives_postgresql_a_password_for_every_role() -> None:
    postgresql = compose()["services"]["postgresql"]
    wanted = {f"PG_PASSWORD_{s.upper()}" for s in DATABASE_SERVICES} | {"POSTGRES_PASSWORD"}
    assert set(postgresql["environment"]) == wanted
    assert all(":?" in value for value in postgresql["environment"].values())
    mount = "./postgres/init-databases.sh:/docker-entrypoint-initdb.d/init-databases.sh:ro"
    assert mount in postgresql["volumes"]


def test_in_dev_each_service_logs_in_as_its_own_role_to_its_own_database(
    rendered: dict[str, list[Document]],
) -> None:
    documents = rendered["dev"]
    statefulset = named(documents, "StatefulSet", "postgresql")
    passwords = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
        for e in container(statefulset)["env"]
        if e["name"].startswith("PG_PASSWORD_")
    }
    assert passwords == {f"PG_PASSWORD_{s.upper()}": s for s in DATABASE_SERVICES}
    for service in DATABASE_SERVICES:
        url = urlsplit(secret_value(documents, f"{service}-database", "url"))
        assert url.scheme == "postgresql+psycopg"
        assert (url.username, url.hostname, url.port, url.path) == (
            service,
            "postgresql",
            5432,
            f"/{service}",
        )
        assert url.password == secret_value(documents, "postgresql-passwords", service)
