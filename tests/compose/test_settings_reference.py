"""docs/settings.md is what the settings classes say, and their defaults reach the compose
infrastructure from the host."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from huleedu_service_libs.config import load_settings
from scripts import settings_doc
from scripts.platform_services import REPO_ROOT, SERVICES, ServiceSpec

by_name = pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)


def test_the_committed_reference_is_current() -> None:
    assert settings_doc.DOCUMENT.read_text(encoding="utf-8") == settings_doc.render(), (
        "docs/settings.md is stale: run `pdm run settings-doc`"
    )


def test_the_check_fails_on_a_stale_reference(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stale = tmp_path / "settings.md"
    stale.write_text(settings_doc.render().replace("HTTP_PORT", "HTTP_PROT"), encoding="utf-8")
    monkeypatch.setattr(settings_doc, "DOCUMENT", stale)

    assert settings_doc.main(["--check"]) == 1


@by_name
def test_defaults_reach_the_compose_infrastructure_from_the_host(
    spec: ServiceSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [key for key in os.environ if key.startswith(spec.env_prefix)]:
        monkeypatch.delenv(name)

    settings = load_settings(spec.settings_class())

    database = urlsplit(settings.DATABASE_URL)
    assert (database.hostname, database.port, database.path) == (
        "localhost",
        spec.db_host_port,
        f"/{spec.database}",
    )
    assert (database.username, database.password) == _compose_credentials()
    assert f"redis://localhost:6379/{spec.redis_db}" == settings.REDIS_URL
    assert settings.KAFKA_BOOTSTRAP_SERVERS == "localhost:9094"


def _compose_credentials() -> tuple[str, str]:
    lines = (REPO_ROOT / "env.example").read_text(encoding="utf-8").splitlines()
    values = dict(line.split("=", 1) for line in lines if line.startswith("POSTGRES_"))
    return values["POSTGRES_USER"], values["POSTGRES_PASSWORD"]
