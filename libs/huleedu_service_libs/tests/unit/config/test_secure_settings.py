import pytest
from pydantic_settings import SettingsConfigDict

from huleedu_service_libs.config import (
    PLACEHOLDER_SECRET,
    PRODUCTION_TRACE_SAMPLE_RATIO,
    BaseServiceSettings,
    Environment,
    SecureServiceSettings,
    SettingsError,
    load_settings,
)

REAL_SECRET = "s3cr3t-value-long-enough"


class DemoSettings(SecureServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_SERVICE_")

    PAGE_SIZE: int = 50


@pytest.fixture(autouse=True)
def database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SERVICE_DATABASE_URL", "postgresql+asyncpg://u:p@localhost/demo")


def test_values_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SERVICE_REDIS_URL", "redis://cache:6379/3")
    monkeypatch.setenv("DEMO_SERVICE_KAFKA_ENABLE_IDEMPOTENCE", "false")
    monkeypatch.setenv("DEMO_SERVICE_PAGE_SIZE", "10")
    monkeypatch.setenv("REDIS_URL", "redis://unprefixed-is-ignored")

    settings = load_settings(DemoSettings)

    assert settings.REDIS_URL == "redis://cache:6379/3"
    assert settings.KAFKA_ENABLE_IDEMPOTENCE is False
    assert settings.PAGE_SIZE == 10
    assert settings.ENVIRONMENT is Environment.DEVELOPMENT


def test_defaults_suit_development() -> None:
    settings = load_settings(DemoSettings)

    assert settings.KAFKA_ENABLE_IDEMPOTENCE is True
    assert settings.INTERNAL_API_KEY.get_secret_value() == PLACEHOLDER_SECRET
    assert not settings.is_production


def test_production_refuses_the_placeholder_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SERVICE_ENVIRONMENT", "production")

    with pytest.raises(SettingsError) as raised:
        load_settings(DemoSettings)

    message = str(raised.value)
    assert "DEMO_SERVICE_INTERNAL_API_KEY" in message
    assert "DEMO_SERVICE_ADMIN_API_KEY" in message
    assert "placeholder" in message


def test_production_refuses_a_short_key_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SERVICE_ENVIRONMENT", "production")
    monkeypatch.setenv("DEMO_SERVICE_INTERNAL_API_KEY", "tiny-secret")
    monkeypatch.setenv("DEMO_SERVICE_ADMIN_API_KEY", REAL_SECRET)

    with pytest.raises(SettingsError) as raised:
        load_settings(DemoSettings)

    assert "DEMO_SERVICE_INTERNAL_API_KEY" in str(raised.value)
    assert "tiny-secret" not in str(raised.value)


def test_production_accepts_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SERVICE_ENVIRONMENT", "production")
    monkeypatch.setenv("DEMO_SERVICE_INTERNAL_API_KEY", REAL_SECRET)
    monkeypatch.setenv("DEMO_SERVICE_ADMIN_API_KEY", REAL_SECRET + "-admin")
    monkeypatch.setenv("DEMO_SERVICE_GATEWAY_SIGNING_SECRET", REAL_SECRET + "-gateway")

    settings = load_settings(DemoSettings)

    assert settings.is_production
    assert settings.gateway_identity_required
    assert REAL_SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("environment", "ratio"),
    [("production", PRODUCTION_TRACE_SAMPLE_RATIO), ("development", 1.0), ("testing", 1.0)],
)
def test_the_trace_sample_ratio_defaults_by_environment(
    monkeypatch: pytest.MonkeyPatch, environment: str, ratio: float
) -> None:
    _real_secrets(monkeypatch)
    monkeypatch.setenv("DEMO_SERVICE_ENVIRONMENT", environment)

    assert ratio == load_settings(DemoSettings).TRACING_SAMPLE_RATIO


def test_a_trace_sample_ratio_given_is_kept_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    _real_secrets(monkeypatch)
    monkeypatch.setenv("DEMO_SERVICE_ENVIRONMENT", "production")
    monkeypatch.setenv("DEMO_SERVICE_TRACING_SAMPLE_RATIO", "1")

    assert load_settings(DemoSettings).TRACING_SAMPLE_RATIO == 1.0


def _real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTERNAL_API_KEY", "ADMIN_API_KEY", "GATEWAY_SIGNING_SECRET"):
        monkeypatch.setenv(f"DEMO_SERVICE_{name}", f"{REAL_SECRET}-{name.lower()}")


def test_missing_and_malformed_values_are_listed_readably(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_SERVICE_DATABASE_URL")
    monkeypatch.setenv("DEMO_SERVICE_ENVIRONMENT", "staging")
    monkeypatch.setenv("DEMO_SERVICE_PAGE_SIZE", "many")

    with pytest.raises(SettingsError) as raised:
        load_settings(DemoSettings)

    lines = str(raised.value).splitlines()
    assert lines[0] == "invalid configuration for DemoSettings:"
    assert any(line.startswith("  DEMO_SERVICE_DATABASE_URL: Field required") for line in lines)
    assert any(line.startswith("  DEMO_SERVICE_ENVIRONMENT:") for line in lines)
    assert any(line.startswith("  DEMO_SERVICE_PAGE_SIZE:") for line in lines)


def test_overrides_win_over_environment() -> None:
    settings = load_settings(DemoSettings, ENVIRONMENT="testing", KAFKA_ENABLE_IDEMPOTENCE=False)

    assert settings.ENVIRONMENT is Environment.TESTING
    assert settings.KAFKA_ENABLE_IDEMPOTENCE is False


def test_a_mistyped_prefixed_variable_is_refused_with_the_closest_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_SERVICE_PAGE_SIZ", "10")

    with pytest.raises(SettingsError) as refused:
        load_settings(DemoSettings)

    assert "DEMO_SERVICE_PAGE_SIZ: not a setting; did you mean DEMO_SERVICE_PAGE_SIZE?" in str(
        refused.value
    )


def test_direct_construction_refuses_it_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("demo_service_http_prot", "8080")

    with pytest.raises(SettingsError, match=r"DEMO_SERVICE_HTTP_PROT.*DEMO_SERVICE_HTTP_PORT"):
        DemoSettings()


def test_a_name_far_from_every_setting_points_at_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_SERVICE_XYZZY", "1")

    with pytest.raises(SettingsError, match=r"DEMO_SERVICE_XYZZY: not a setting \(docs/settings"):
        load_settings(DemoSettings)


@pytest.mark.parametrize(
    ("variable", "advice"),
    [
        ("DEMO_SERVICE_USE_MOCK_REPOSITORY", "there is no mock repository"),
        ("DEMO_SERVICE_CIRCUIT_BREAKER_ENABLED", "DEMO_SERVICE_CIRCUIT_BREAKER_FAILURE_THRESHOLD"),
        ("DEMO_SERVICE_DB_POOL_SIZE", "set DEMO_SERVICE_DATABASE_POOL_SIZE"),
    ],
)
def test_names_other_documents_use_say_what_to_set(
    monkeypatch: pytest.MonkeyPatch, variable: str, advice: str
) -> None:
    monkeypatch.setenv(variable, "true")

    with pytest.raises(SettingsError) as refused:
        load_settings(DemoSettings)

    assert advice in str(refused.value)


def test_an_unprefixed_database_url_alone_is_refused_with_the_prefixed_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEMO_SERVICE_DATABASE_URL")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@elsewhere/demo")

    with pytest.raises(SettingsError, match="DATABASE_URL: not read by this service; set DEMO_"):
        load_settings(DemoSettings)


def test_an_unprefixed_name_beside_the_prefixed_one_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@another-project/db")

    settings = load_settings(DemoSettings)

    assert settings.DATABASE_URL == "postgresql+asyncpg://u:p@localhost/demo"


def test_other_services_variables_are_not_this_ones_business(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTHER_SERVICE_PAGE_SIZ", "10")
    monkeypatch.setenv("DEMO_SERVICEX_PAGE_SIZE", "10")

    assert load_settings(DemoSettings).PAGE_SIZE == 50


class NoDatabaseSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NO_DATABASE_")


def test_a_process_without_a_database_needs_no_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@localhost/not-read")

    settings = load_settings(NoDatabaseSettings)

    assert "DATABASE_URL" not in NoDatabaseSettings.model_fields
    assert not settings.gateway_identity_required


def test_a_process_without_a_database_refuses_its_database_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_DATABASE_DATABASE_POOL_SIZE", "3")

    with pytest.raises(SettingsError, match="NO_DATABASE_DATABASE_POOL_SIZE"):
        load_settings(NoDatabaseSettings)
