"""Generate the Python gRPC code for every proto under protos/ into stadskamer.api.

protoc names Python modules after the proto path (``stadskamer/contacts/v1``), which would
collide with the implementation packages of the same name. The generated modules are therefore
placed under ``stadskamer.api`` and their ``stadskamer.<x>.v<n>`` imports rewritten.

Usage: ``python tools/generate_protos.py [--check]``. With ``--check`` nothing is written; the
exit code is 1 when the committed code differs from freshly generated code.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
TARGET = ROOT / "services" / "stadskamer" / "api"
HEADER = '"""Generated gRPC and protobuf code for the Stadskamer contracts. Do not edit."""\n'
IMPORT_LINE = re.compile(r"^(\s*(?:from|import) )stadskamer\.", re.MULTILINE)
BUILDER_NAME = re.compile(r"(BuildTopDescriptorsAndMessages\(DESCRIPTOR, ')stadskamer\.")
STUB_REFERENCE = re.compile(r"(?<![\w./'])stadskamer\.(?=[a-z_]+\.v\d+\.)")


def _run_protoc(out_dir: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    include = str(resources.files("grpc_tools") / "_proto")
    plugin_dir = Path(sys.executable).parent
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--plugin=protoc-gen-mypy={plugin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={plugin_dir / 'protoc-gen-mypy_grpc'}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out=quiet:{out_dir}",
        f"--mypy_grpc_out=quiet:{out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def _rewrite(path: Path) -> None:
    text = path.read_text()
    text = IMPORT_LINE.sub(r"\1stadskamer.api.", text)
    text = BUILDER_NAME.sub(r"\1stadskamer.api.", text)
    if path.suffix == ".pyi":
        text = STUB_REFERENCE.sub("stadskamer.api.", text)
    path.write_text(text)


def generate(dest: Path) -> None:
    """Generate the package into ``dest`` (which becomes the ``stadskamer.api`` folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        _run_protoc(out)
        generated = out / "stadskamer"
        for folder in [generated, *(p for p in generated.rglob("*") if p.is_dir())]:
            (folder / "__init__.py").write_text("")
        (generated / "__init__.py").write_text(HEADER)
        (generated / "py.typed").write_text("")
        for file in generated.rglob("*.py*"):
            _rewrite(file)
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(generated, dest)


def _differences(left: Path, right: Path) -> list[str]:
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in committed: {n}" for n in comparison.left_only]
    found += [f"missing from committed: {n}" for n in comparison.right_only]
    found += [f"stale: {n}" for n in comparison.diff_files]
    for name, sub in comparison.subdirs.items():
        found += [f"{name}/{d}" for d in _differences(Path(sub.left), Path(sub.right))]
    return found


def main() -> int:
    """Generate or check; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when the code is stale")
    options = parser.parse_args()
    if not options.check:
        generate(TARGET)
        print(f"generated {TARGET.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "api"
        generate(fresh)
        if not TARGET.exists():
            print("generated code is missing: run `make gen`")
            return 1
        problems = _differences(TARGET, fresh)
    if problems:
        print("generated code is stale; run `make gen`:\n  " + "\n  ".join(problems))
        return 1
    print("generated code is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
