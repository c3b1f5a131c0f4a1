"""`pdm run stack`: the local platform (see scripts/stack_runner/cli.py, or run with --help)."""

from __future__ import annotations

import sys

from scripts.stack_runner.cli import main

if __name__ == "__main__":
    sys.exit(main())
