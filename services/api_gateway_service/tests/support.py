"""Keys, tokens and real HTTP servers for the gateway's tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from huleedu_service_libs.testing.processes import free_port
from services.api_gateway_service.config import Settings

ISSUER = "https://issuer.test"
AUDIENCE = "huleedu-api-test"
DEV_SECRET = "development-secret-for-gateway-tests"
SIGNING_SECRET = "gateway-signing-secret-for-tests"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def claims(
    user: str = "teacher-1", orgs: list[str] | None = None, **changes: Any
) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": user,
        "orgs": orgs or [],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    return {**base, **changes}


def token(key: Any, algorithm: str = "RS256", kid: str | None = None, **claim_values: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**claim_values), key, algorithm=algorithm, headers=headers)


def gateway_settings(public_key: str | None, **values: Any) -> Settings:
    base: dict[str, Any] = {
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "JWT_PUBLIC_KEY": public_key,
        "JWT_DEVELOPMENT_SECRET": DEV_SECRET,
        "GATEWAY_SIGNING_SECRET": SIGNING_SECRET,
        "ENVIRONMENT": "testing",
    }
    return Settings(**(base | values))


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serves the ASGI `app` with Uvicorn on a free port in this event loop; yields its URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(250):
            if task.done():
                task.result()
            if server.started:
                break
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
