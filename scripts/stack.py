"""The local stack: every service with embedded PostgreSQL, Redis and Kafka, no Docker.

Not built yet: the platform issue fills it in. Until then this says what is missing and fails,
rather than pretending to run something.
"""

from __future__ import annotations

import sys

MISSING = [
    "service apps and workers (entitlements, file, class management, CJ assessment)",
    "per-service Alembic chains to migrate on start-up",
    "the stack runner that starts embedded PostgreSQL, Redis and Kafka and the services",
]


def main() -> int:
    print("The local stack cannot run yet. Missing:", file=sys.stderr)
    for item in MISSING:
        print(f"  - {item}", file=sys.stderr)
    print("What exists today is tested by `./dev test`.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
