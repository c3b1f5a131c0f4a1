"""migrate-all, the outbox verifier and the topic set-up against real servers."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from huleedu_service_libs.testing.servers import PostgresEndpoint
from scripts.create_topics import create_topics, planned_topics
from scripts.platform_services import REPO_ROOT, SERVICES

pytestmark = pytest.mark.integration
BUILT = [spec for spec in SERVICES if spec.alembic_ini.is_file()]


def run_script(name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, str(REPO_ROOT / "scripts" / name), *arguments]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_migrate_all_creates_each_database_and_the_verifier_accepts_the_outbox(
    postgres_server: PostgresEndpoint,
) -> None:
    assert BUILT, "no service has an Alembic chain yet"
    suffix = f"_m{uuid.uuid4().hex[:8]}"
    selection = [arg for spec in BUILT for arg in ("--service", spec.name)]
    server = ["--server-url", postgres_server.admin_dsn, "--database-suffix", suffix]

    migrated = run_script("migrate_all.py", *selection, *server, "--create-databases")
    again = run_script("migrate_all.py", *selection, *server)
    verified = run_script("verify_outbox_indexes.py", *selection, *server)

    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert again.returncode == 0, again.stdout
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count("event_outbox: OK") == len(BUILT)


def test_verifier_fails_on_a_database_without_the_outbox(
    postgres_server: PostgresEndpoint,
) -> None:
    spec = BUILT[0]
    server = ["--server-url", postgres_server.admin_dsn, "--database-suffix", "_absent"]
    run = run_script("verify_outbox_indexes.py", "--service", spec.name, *server)

    assert run.returncode == 2  # the database does not exist: unreachable, not "fine"


async def test_topic_setup_creates_every_topic_once(kafka_bootstrap: str) -> None:
    first = await create_topics(kafka_bootstrap, partitions=2, wait_seconds=10)
    second = await create_topics(kafka_bootstrap, partitions=2, wait_seconds=10)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        present = set(await admin.list_topics())
    finally:
        await admin.close()

    assert set(planned_topics()) <= present
    assert second.created == []
    assert sorted(first.created + first.existing) == sorted(planned_topics())
