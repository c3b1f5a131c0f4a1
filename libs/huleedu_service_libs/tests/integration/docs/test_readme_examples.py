"""Every Python example in a subpackage README runs, as a script, against the real servers.

A block preceded by `<!-- fragment ... -->` is part of a service (a models file, a test module)
and is skipped. Examples read REDIS_URL, KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "huleedu_service_libs"
FENCE = re.compile(r"(?P<before>[^\n]*)\n(?P<indent>[ ]*)```python\n(?P<code>.*?)\n[ ]*```", re.S)
FRAGMENT = "<!-- fragment"


@dataclass(frozen=True)
class Example:
    readme: Path
    number: int
    code: str

    @property
    def name(self) -> str:
        return f"{self.readme.parent.name}#{self.number}"


def _examples() -> list[Example]:
    found = []
    for readme in sorted(PACKAGE.glob("*/README.md")):
        blocks = [m for m in FENCE.finditer(readme.read_text()) if FRAGMENT not in m["before"]]
        for number, match in enumerate(blocks, start=1):
            indent = len(match["indent"])
            code = "\n".join(line[indent:] for line in match["code"].splitlines())
            found.append(Example(readme, number, code))
    return found


EXAMPLES = _examples()


def test_the_readmes_have_runnable_examples() -> None:
    documented = {example.readme.parent.name for example in EXAMPLES}
    assert {"app", "correlation", "error_handling", "idempotency", "kafka", "redis"} <= documented


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.name)
def test_readme_example_runs(
    example: Example,
    tmp_path: Path,
    redis_url: str,
    kafka_bootstrap: str,
    fresh_database_url: str,
) -> None:
    script = tmp_path / f"{example.readme.parent.name}_example.py"
    script.write_text(example.code + "\n")
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": fresh_database_url,
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{example.name} failed:\n{result.stdout}\n{result.stderr}"
