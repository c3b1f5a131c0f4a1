"""Bearer token verification: who the caller is and which organisations it may act for."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient

from services.api_gateway_service.config import Settings

ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")
SHARED_SECRET_ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")
# Verified tokens, remembered until their own expiry (no leeway): a client sends the same token
# on every request, and a signature check costs more than the rest of the gateway's work.
VERIFIED_CACHE_SIZE = 10_000


class TokenRefused(Exception):
    """The token does not authenticate anyone; the message says why (no token content)."""


class KeysUnavailable(Exception):
    """The issuer's JWKS could not be fetched or read: the gateway cannot judge the token, which
    is not the token's fault."""


class _IssuerKeys(PyJWKClient):
    def get_signing_keys(self, refresh: bool = False) -> list[PyJWK]:
        # Everything about the key set (fetching it, parsing it, finding signing keys in it) is
        # the issuer's side; only "no key has this kid", raised by the caller, blames the token.
        try:
            return super().get_signing_keys(refresh)
        except (jwt.PyJWTError, ValueError) as error:
            raise KeysUnavailable(f"the issuer's keys are unavailable: {error}") from error


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    orgs: frozenset[str]


class TokenVerifier:
    """Asymmetric keys (a JWKS or one PEM key) for RS256/ES256; a shared secret for HS256 in
    development. Each algorithm is verified only with a key of its own kind, so a token signed
    with HS256 under the public key as secret (algorithm confusion) has no key to match."""

    def __init__(self, settings: Settings) -> None:
        self._issuer = settings.JWT_ISSUER
        self._audience = settings.JWT_AUDIENCE
        self._leeway = settings.JWT_LEEWAY_SECONDS
        self._public_key = settings.JWT_PUBLIC_KEY
        self._secret = settings.JWT_DEVELOPMENT_SECRET
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._jwks = (
            _IssuerKeys(
                settings.JWT_JWKS_URL,
                # The key set is cached for JWT_JWKS_CACHE_SECONDS; a per-kid cache on top would
                # keep trusting a key the issuer removed until the gateway restarts.
                cache_keys=False,
                lifespan=settings.JWT_JWKS_CACHE_SECONDS,
                cooldown_duration=settings.JWT_JWKS_REFRESH_COOLDOWN_SECONDS,
                timeout=int(settings.UPSTREAM_CONNECT_TIMEOUT_SECONDS) or 1,
            )
            if settings.JWT_JWKS_URL
            else None
        )

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None and time.time() < remembered[1]:
            self._verified.move_to_end(token)
            return remembered[0]
        principal, expires = await self._verify(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRefused(f"the token is malformed: {error}") from None
        algorithm = header.get("alg")
        key = await self._key_for(algorithm, header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[str(algorithm)],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise TokenRefused(f"the token is refused: {error}") from None
        return _principal(claims), float(claims["exp"])

    async def _key_for(self, algorithm: object, kid: object) -> Any:
        if algorithm == SHARED_SECRET_ALGORITHM and self._secret is not None:
            return self._secret.get_secret_value()
        if algorithm in ASYMMETRIC_ALGORITHMS:
            if self._jwks is not None:
                return await self._signing_key(kid)
            if self._public_key is not None:
                return self._public_key
        raise TokenRefused(f"tokens signed with {algorithm!r} are not accepted")

    async def _signing_key(self, kid: object) -> Any:
        assert self._jwks is not None
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("the token names no key of the JWKS (kid)")
        try:
            # PyJWKClient fetches with urllib (blocking); the cache answers most calls at once.
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key, kid)
        except jwt.PyJWTError as error:
            raise TokenRefused(f"no key of the JWKS verifies the token: {error}") from None
        return signing_key.key


def _principal(claims: dict[str, Any]) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise TokenRefused("the token's sub is not a user id")
    orgs = claims.get("orgs", [])
    if not isinstance(orgs, list) or not all(isinstance(org, str) for org in orgs):
        raise TokenRefused("the token's orgs claim is not a list of organisation ids")
    return Principal(subject.strip(), frozenset(org.strip() for org in orgs if org.strip()))


def mint_development_token(
    secret: str,
    *,
    user_id: str,
    orgs: list[str],
    issuer: str,
    audience: str,
    lifetime_seconds: int,
    now: int,
) -> str:
    """An HS256 token the gateway accepts in development (`pdm run token`)."""
    claims = {
        "sub": user_id,
        "orgs": orgs,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
    }
    return jwt.encode(claims, secret, algorithm=SHARED_SECRET_ALGORITHM)
