"""`pdm run token` prints a token the gateway, with its default settings, accepts."""

from __future__ import annotations

import pytest

from huleedu_service_libs.config import load_settings
from scripts.mint_token import main
from services.api_gateway_service.config import Settings
from services.api_gateway_service.tokens import Principal, TokenVerifier


async def test_the_printed_token_names_the_user_and_orgs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--user", "teacher-1", "--org", "org-1", "--org", "org-2"]) == 0
    printed = capsys.readouterr().out.strip()

    principal = await TokenVerifier(load_settings(Settings)).verify(printed)

    assert principal == Principal("teacher-1", frozenset({"org-1", "org-2"}))
