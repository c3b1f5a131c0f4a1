"""A development bearer token for the API gateway (HS256 under its JWT_DEVELOPMENT_SECRET).

./dev pdm run token --user teacher-1 [--org org-1 ...] [--minutes 60]

Prints the token alone, for `Authorization: Bearer $(...)`. The issuer, audience and secret are
the gateway's settings (API_GATEWAY_SERVICE_*), so the token is one the local gateway accepts;
in production the gateway has no development secret and this refuses.
"""

from __future__ import annotations

import argparse
import sys
import time

from huleedu_service_libs.config import load_settings
from services.api_gateway_service.config import Settings
from services.api_gateway_service.tokens import mint_development_token


def development_token(user_id: str, orgs: list[str], minutes: int = 60) -> str:
    """A token the gateway with these environment's settings accepts; SystemExit in production."""
    settings = load_settings(Settings)
    if settings.JWT_DEVELOPMENT_SECRET is None:
        raise SystemExit("the gateway has no JWT_DEVELOPMENT_SECRET (production?)")
    return mint_development_token(
        settings.JWT_DEVELOPMENT_SECRET.get_secret_value(),
        user_id=user_id,
        orgs=orgs,
        issuer=settings.JWT_ISSUER,
        audience=settings.JWT_AUDIENCE,
        lifetime_seconds=minutes * 60,
        now=int(time.time()),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pdm run token", description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="the user id (the token's sub)")
    parser.add_argument(
        "--org", action="append", default=[], help="an organisation the user may act for"
    )
    parser.add_argument("--minutes", type=int, default=60, help="lifetime (default 60)")
    arguments = parser.parse_args(argv)
    print(development_token(arguments.user, arguments.org, arguments.minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
