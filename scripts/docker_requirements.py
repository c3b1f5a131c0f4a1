"""What the platform image installs: the production requirements, pinned by pdm.lock.

The Dockerfile's build stage runs `pdm export` (the whole locked set, dev tools included) and then
this script, which writes two files for pip:
- requirements: the shared libraries (from their source directories) and every third-party
  dependency the services declare in their pyproject.toml; no test or lint tool;
- constraints: every locked version, so pip installs exactly what pdm.lock says.

    python scripts/docker_requirements.py --locked locked.txt --out-dir /tmp/req
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# huleedu-service-libs brings common_core through its own direct reference.
LIBRARIES = ("./libs/huleedu_service_libs",)


def service_requirements(root: Path) -> list[str]:
    """Third-party dependencies of every service; local (file:) references are left out."""
    found: set[str] = set()
    for pyproject in sorted((root / "services").glob("*/pyproject.toml")):
        declared = tomllib.loads(pyproject.read_text())["project"].get("dependencies", [])
        found.update(dep for dep in declared if "file:" not in dep)
    return sorted(found)


def lock_constraints(locked: str) -> list[str]:
    """The pinned lines of a `pdm export`, without editable local packages or comments."""
    lines = (line.strip() for line in locked.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-e ", "--"))]


def write_files(root: Path, locked: str, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    requirements = out_dir / "requirements.txt"
    constraints = out_dir / "constraints.txt"
    requirements.write_text("\n".join([*LIBRARIES, *service_requirements(root)]) + "\n")
    constraints.write_text("\n".join(lock_constraints(locked)) + "\n")
    return requirements, constraints


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locked", type=Path, required=True, help="output of `pdm export`")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    arguments = parser.parse_args(argv)
    paths = write_files(arguments.root, arguments.locked.read_text(), arguments.out_dir)
    print("\n".join(str(path) for path in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
