"""deploy/Dockerfile really builds, and the image is what the manifests expect.

Built with buildah (Debian package ``buildah``: no daemon, chroot isolation, vfs storage), then
run: Stadskamer runs as the non-root user of the pod security contexts, the final stage holds
no compiler or build tool, and ``stadskamer --help`` runs. Without buildah the tests are
skipped with a plain message, unless ``STADSKAMER_REQUIRE_BUILDAH=1``, which fails them.

The base image is ``STADSKAMER_PYTHON_IMAGE`` when set (``python:3.11-slim`` where a container
registry is reachable); otherwise a stand-in from Debian's packages, made once by
deploy/scripts/debian-python-base.sh (needs debootstrap) and kept in buildah's storage.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.deploy.manifests import DEPLOY, ROOT, RUN_AS

REQUIRE_BUILDAH = os.environ.get("STADSKAMER_REQUIRE_BUILDAH", "") == "1"
LOCAL_BASE = "localhost/stadskamer-python-base:3.11"
STORAGE = ["--storage-driver", os.environ.get("STADSKAMER_BUILDAH_STORAGE", "vfs")]
BUILD_TOOLS = ("gcc", "cc", "c++", "g++", "cpp", "make", "ld", "as")


def _unavailable(reason: str) -> None:
    if REQUIRE_BUILDAH:
        pytest.fail(f"building the image is required but {reason}")
    pytest.skip(f"image build skipped: {reason}")


def buildah(*arguments: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run ``buildah`` with the storage of these tests; the completed process (not checked)."""
    return subprocess.run(
        ["buildah", *STORAGE, *arguments], capture_output=True, text=True, timeout=timeout
    )


def _base_image() -> str:
    """The image the Dockerfile starts from here; the local stand-in is made when missing."""
    chosen = os.environ.get("STADSKAMER_PYTHON_IMAGE", "")
    if chosen:
        return chosen
    if buildah("inspect", "--type", "image", LOCAL_BASE).returncode == 0:
        return LOCAL_BASE
    if shutil.which("debootstrap") is None:
        _unavailable("debootstrap is missing for the local base (apt-get install debootstrap)")
    made = subprocess.run(
        [str(DEPLOY / "scripts" / "debian-python-base.sh"), LOCAL_BASE],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "STORAGE_DRIVER": STORAGE[1]},
    )
    assert made.returncode == 0, made.stderr[-3000:]
    return LOCAL_BASE


@dataclass(frozen=True)
class Built:
    """The built image's configuration, and a working container of it to run commands in."""

    config: dict[str, Any]
    container: str

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in the container as the image's user (not checked)."""
        return buildah("run", "--isolation", "chroot", self.container, "--", *command)


@pytest.fixture(scope="module")
def built() -> Iterator[Built]:
    """deploy/Dockerfile built from the repository root; removed again afterwards."""
    if shutil.which("buildah") is None:
        _unavailable("buildah is not on PATH (apt-get install buildah)")
    if os.geteuid() != 0:
        _unavailable("buildah with vfs storage and chroot isolation is run as root here")
    image = f"localhost/stadskamer:test-{uuid.uuid4().hex[:8]}"
    build = buildah(
        "bud",
        "--isolation",
        "chroot",
        "--format",
        "docker",
        "--build-arg",
        f"PYTHON_IMAGE={_base_image()}",
        "-f",
        str(DEPLOY / "Dockerfile"),
        "-t",
        image,
        str(ROOT),
    )
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    container = ""
    try:
        inspected = json.loads(buildah("inspect", "--type", "image", image).stdout)["Docker"]
        container = buildah("from", "--pull=false", image).stdout.strip()
        assert container, "buildah from made no working container"
        yield Built(inspected["config"], container)
    finally:
        if container:
            buildah("rm", container)
        buildah("rmi", image)


def test_the_image_runs_stadskamer_as_the_non_root_user_of_the_manifests(built: Built) -> None:
    assert built.config["User"] == f"{RUN_AS}:{RUN_AS}"
    identity = built.run("id", "-u")
    assert identity.returncode == 0, identity.stderr
    assert int(identity.stdout) == RUN_AS != 0
    assert built.config["Entrypoint"] == ["stadskamer"]
    assert built.config["Cmd"] == ["serve", "pseudonyms"]
    assert built.config["Healthcheck"]["Test"][0] == "CMD"


def test_the_final_stage_has_no_build_tools_and_no_wheels(built: Built) -> None:
    probe = "import os, shutil, sys; print([t for t in sys.argv[1:] if shutil.which(t)])"
    found = built.run("python", "-c", probe, *BUILD_TOOLS)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"
    leftovers = built.run("python", "-c", "import os; print(os.path.exists('/wheels'))")
    assert leftovers.stdout.strip() == "False"


def test_stadskamer_help_runs_in_the_image(built: Built) -> None:
    shown = built.run("stadskamer", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "serve" in shown.stdout and "migrate" in shown.stdout
    writable = built.run("sh", "-c", "test -w /var/lib/stadskamer && ! test -w /usr")
    assert writable.returncode == 0, "only /var/lib/stadskamer may be writable for the user"
