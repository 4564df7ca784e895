"""deploy/Dockerfile builds what the manifests expect, read as a file.

These checks keep the Dockerfile, the pod security contexts and compose in agreement without
building; tests/deploy/test_image_build.py builds the image (buildah) and runs it.
"""

from __future__ import annotations

import json
import re
import tomllib

from tests.deploy.manifests import DEPLOY, ROOT, RUN_AS

BUILD_TOOLS = ("build-essential", "gcc", "apt-get", "pip wheel")


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split into stages."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    found: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            found.append([])
        if found:
            found[-1].append(line)
    return found


def instruction(stage: list[str], name: str) -> list[str]:
    """The arguments of every instruction ``name`` in a stage."""
    return [line.split(None, 1)[1] for line in stage if line.split(None, 1)[0].upper() == name]


def test_the_image_is_built_in_two_stages_from_python_3_11_slim() -> None:
    builder, runtime = stages()
    text = (DEPLOY / "Dockerfile").read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert instruction(builder, "FROM") == ["${PYTHON_IMAGE} AS builder"]
    assert instruction(runtime, "FROM") == ["${PYTHON_IMAGE} AS runtime"]
    assert any("pip wheel --wheel-dir /wheels ." in r for r in instruction(builder, "RUN"))


def test_the_runtime_installs_only_the_wheels_and_has_no_build_tools() -> None:
    runtime = stages()[1]
    runs = " ".join(instruction(runtime, "RUN"))
    assert "pip install --no-index --find-links=/wheels" in runs
    assert not any(tool in runs for tool in BUILD_TOOLS)
    assert instruction(runtime, "COPY") == []


def test_the_runtime_runs_stadskamer_as_the_user_of_the_manifests() -> None:
    runtime = stages()[1]
    text = "\n".join(runtime)
    assert f"ARG STADSKAMER_UID={RUN_AS}" in text and f"ARG STADSKAMER_GID={RUN_AS}" in text
    assert instruction(runtime, "USER") == ["${STADSKAMER_UID}:${STADSKAMER_GID}"]
    assert json.loads(instruction(runtime, "ENTRYPOINT")[0]) == ["stadskamer"]
    assert json.loads(instruction(runtime, "CMD")[0]) == ["serve", "pseudonyms"]
    assert "50051" in " ".join(instruction(runtime, "EXPOSE"))
    assert any("PYTHONDONTWRITEBYTECODE=1" in e for e in instruction(runtime, "ENV"))
    assert json.loads(instruction(runtime, "VOLUME")[0]) == ["/var/lib/stadskamer"]


def test_the_builder_copies_every_folder_the_wheel_packages() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = {c.split()[0] for c in instruction(stages()[0], "COPY")}
    assert {p.split("/")[0] for p in packages} <= copied
    assert project["project"]["readme"] in " ".join(instruction(stages()[0], "COPY"))


def test_the_build_context_leaves_out_what_the_image_does_not_need() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignored = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    for needless in (".git", ".venv", "var", "**/__pycache__", "tests"):
        assert needless in ignored
    for needed in ("services", "consent", "gateway", "pyproject.toml", "README.md"):
        assert needed not in ignored
