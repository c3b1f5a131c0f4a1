"""Which bearer tokens authenticate a caller: the refusals the issue lists, and the keys."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from quart import Quart

from services.api_gateway_service.tests.support import (
    DEV_SECRET,
    ec_key,
    gateway_settings,
    public_pem,
    rsa_key,
    serving,
    token,
)
from services.api_gateway_service.tokens import Principal, TokenRefused, TokenVerifier

KEY = rsa_key()
OTHER_KEY = rsa_key()
PUBLIC = public_pem(KEY)


def verifier(**values: Any) -> TokenVerifier:
    return TokenVerifier(gateway_settings(PUBLIC, **values))


def _segment(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def unsigned(**claim_values: Any) -> str:
    payload = jwt.decode(token(KEY, **claim_values), options={"verify_signature": False})
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(payload)}."


async def test_a_valid_rs256_token_names_the_user_and_orgs() -> None:
    principal = await verifier().verify(token(KEY, user="t-1", orgs=["o-1", "o-2"]))
    assert principal == Principal("t-1", frozenset({"o-1", "o-2"}))


async def test_es256_verifies_with_an_ec_public_key() -> None:
    key = ec_key()
    checker = TokenVerifier(gateway_settings(public_pem(key)))
    assert (await checker.verify(token(key, algorithm="ES256"))).user_id == "teacher-1"


async def test_hs256_with_the_development_secret_is_accepted_outside_production() -> None:
    assert (await verifier().verify(token(DEV_SECRET, algorithm="HS256"))).user_id == "teacher-1"


REFUSED = {
    "forged": lambda: token(OTHER_KEY),
    "expired": lambda: token(KEY, exp=int(time.time()) - 120, iat=int(time.time()) - 600),
    "not yet valid": lambda: token(KEY, nbf=int(time.time()) + 120),
    "wrong issuer": lambda: token(KEY, iss="https://elsewhere.test"),
    "wrong audience": lambda: token(KEY, aud="another-api"),
    "alg none": lambda: unsigned(),
    "HS256 with another secret": lambda: token(
        "another-secret-of-some-length-at-least-32", algorithm="HS256"
    ),
    "no sub": lambda: token(KEY, sub=""),
    "orgs not a list": lambda: token(KEY, orgs="o-1"),
    "garbage": lambda: "not.a.token",
}


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
async def test_refused_tokens(make: Any) -> None:
    with pytest.raises(TokenRefused):
        await verifier().verify(make())


async def test_an_hs256_token_signed_with_the_public_key_is_refused() -> None:
    # The classic confusion: the verifier's RSA public key used as an HMAC secret.
    payload = jwt.decode(token(KEY), options={"verify_signature": False})
    header = _segment({"alg": "HS256", "typ": "JWT"})
    signing_input = f"{header}.{_segment(payload)}"
    mac = hmac.new(PUBLIC.encode(), signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(TokenRefused):
        await verifier().verify(confused)
    with pytest.raises(TokenRefused):
        await verifier(JWT_DEVELOPMENT_SECRET=None).verify(confused)


async def test_production_ignores_the_development_secret() -> None:
    settings = gateway_settings(
        PUBLIC,
        ENVIRONMENT="production",
        INTERNAL_API_KEY="internal-key-long-enough",
        ADMIN_API_KEY="admin-key-long-enough-too",
        GATEWAY_SIGNING_SECRET="gateway-secret-long-enough",
    )
    assert settings.JWT_DEVELOPMENT_SECRET is None
    with pytest.raises(TokenRefused):
        await TokenVerifier(settings).verify(token(DEV_SECRET, algorithm="HS256"))


def jwks_app(keys: list[tuple[str, Any]]) -> Quart:
    app = Quart("jwks")

    @app.get("/jwks.json")
    async def jwks() -> dict[str, Any]:
        found = []
        for kid, key in keys:
            document = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            found.append({**document, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": found}

    return app


async def test_keys_come_from_the_jwks_and_a_rotated_key_is_fetched() -> None:
    keys: list[tuple[str, Any]] = [("k1", KEY)]
    async with serving(jwks_app(keys)) as base:
        checker = verifier(
            JWT_PUBLIC_KEY=None,
            JWT_JWKS_URL=f"{base}/jwks.json",
            JWT_JWKS_REFRESH_COOLDOWN_SECONDS=0,
        )
        first = await checker.verify(token(KEY, kid="k1", user="t-1"))
        keys.append(("k2", OTHER_KEY))  # the issuer rotates: a new kid appears
        second = await checker.verify(token(OTHER_KEY, kid="k2", user="t-2"))
        with pytest.raises(TokenRefused):
            await checker.verify(token(rsa_key(), kid="k3"))
    assert (first.user_id, second.user_id) == ("t-1", "t-2")


async def test_a_key_the_issuer_removed_stops_verifying_once_the_key_set_is_refetched() -> None:
    keys: list[tuple[str, Any]] = [("k1", KEY)]
    async with serving(jwks_app(keys)) as base:
        checker = verifier(
            JWT_PUBLIC_KEY=None,
            JWT_JWKS_URL=f"{base}/jwks.json",
            JWT_JWKS_CACHE_SECONDS=1,
            JWT_JWKS_REFRESH_COOLDOWN_SECONDS=0,
        )
        assert (await checker.verify(token(KEY, kid="k1", user="t-1"))).user_id == "t-1"
        keys[:] = [("k2", OTHER_KEY)]  # the issuer retires k1
        await asyncio.sleep(1.2)  # past the key set's cache lifespan
        with pytest.raises(TokenRefused):
            await checker.verify(token(KEY, kid="k1", user="t-2"))
        assert (await checker.verify(token(OTHER_KEY, kid="k2", user="t-3"))).user_id == "t-3"


async def test_a_remembered_token_still_expires() -> None:
    checker = verifier(JWT_LEEWAY_SECONDS=0)
    soon = token(KEY, exp=int(time.time()) + 1)
    assert (await checker.verify(soon)).user_id == "teacher-1"
    assert (await checker.verify(soon)).user_id == "teacher-1"  # from the cache
    # Past its exp the cached entry is not used: the token is verified again and refused.
    await asyncio.sleep(max(0.0, int(time.time()) + 2 - time.time()))
    with pytest.raises(TokenRefused):
        await checker.verify(soon)
