"""Settings (API_GATEWAY_SERVICE_*), validated at start-up. No database: BaseServiceSettings."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from huleedu_service_libs.config import BaseServiceSettings, Environment

SERVICE_NAME = "api_gateway_service"
DEVELOPMENT_TOKEN_SECRET = "huleedu-local-development-token-secret"


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="API_GATEWAY_SERVICE_", extra="ignore")

    HTTP_PORT: int = Field(default=8080, ge=1, le=65535)
    # Per-user rate limits (db 4: the services use 0-3).
    REDIS_URL: str = "redis://localhost:6379/4"
    # Where the teacher routes are: the services' base URLs.
    ENTITLEMENTS_URL: str = "http://localhost:8083"
    FILE_SERVICE_URL: str = "http://localhost:7001"
    CLASS_MANAGEMENT_URL: str = "http://localhost:5002"
    CJ_ASSESSMENT_URL: str = "http://localhost:9095"
    # Bearer tokens: issuer, audience and a clock skew allowance, checked on every token.
    JWT_ISSUER: str = "huleedu-local"
    JWT_AUDIENCE: str = "huleedu-api"
    JWT_LEEWAY_SECONDS: float = Field(default=30.0, ge=0, le=300)
    # RS256/ES256: keys from a JWKS URL (cached, refetched for an unknown kid) or one PEM key.
    JWT_JWKS_URL: str | None = None
    JWT_JWKS_CACHE_SECONDS: int = Field(default=300, ge=1)
    # An unknown kid refetches the JWKS at most this often (tokens with made-up kids cannot
    # make the gateway hammer the issuer).
    JWT_JWKS_REFRESH_COOLDOWN_SECONDS: float = Field(default=30.0, ge=0)
    JWT_PUBLIC_KEY: str | None = None
    # HS256 with a shared secret: local development only (never used in production).
    JWT_DEVELOPMENT_SECRET: SecretStr | None = SecretStr(DEVELOPMENT_TOKEN_SECRET)
    # Requests per user per minute (a fixed window in Redis); 0 turns the limit off.
    RATE_LIMIT_PER_MINUTE: int = Field(default=600, ge=0)
    # Bodies larger than this are refused (413), counted as they stream through.
    MAX_REQUEST_BYTES: int = Field(default=50 * 1024 * 1024, ge=1024)
    UPSTREAM_CONNECT_TIMEOUT_SECONDS: float = Field(default=2.0, gt=0)
    UPSTREAM_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0)
    UPSTREAM_MAX_CONNECTIONS: int = Field(default=200, ge=1)
    # Browser origins allowed to call the API, comma-separated (empty: no CORS headers).
    CORS_ALLOWED_ORIGINS: str = ""
    CORS_MAX_AGE_SECONDS: int = Field(default=600, ge=0)

    @field_validator("JWT_DEVELOPMENT_SECRET")
    @classmethod
    def _no_shared_secret_in_production(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if info.data.get("ENVIRONMENT") == Environment.PRODUCTION:
            return None
        return value or None

    @model_validator(mode="after")
    def _some_key_verifies_tokens(self) -> Settings:
        asymmetric = self.JWT_JWKS_URL or self.JWT_PUBLIC_KEY
        if not asymmetric and self.JWT_DEVELOPMENT_SECRET is None:
            raise ValueError(
                "no key verifies tokens: set JWT_JWKS_URL or JWT_PUBLIC_KEY "
                "(JWT_DEVELOPMENT_SECRET is not used in production)"
            )
        return self

    @property
    def cors_origins(self) -> frozenset[str]:
        return frozenset(
            origin.strip() for origin in self.CORS_ALLOWED_ORIGINS.split(",") if origin.strip()
        )

    def service_urls(self) -> dict[str, str]:
        return {
            "entitlements_service": self.ENTITLEMENTS_URL,
            "file_service": self.FILE_SERVICE_URL,
            "class_management_service": self.CLASS_MANAGEMENT_URL,
            "cj_assessment_service": self.CJ_ASSESSMENT_URL,
        }
