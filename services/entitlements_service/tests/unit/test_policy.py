from pathlib import Path

import pytest

from services.entitlements_service.config import DEFAULT_POLICY_PATH
from services.entitlements_service.domain.policy import PolicyError, load_policy, parse_policy
from services.entitlements_service.tests.support.wiring import POLICY


def test_the_shipped_policy_loads() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    assert policy.metrics["cj_comparison"].cost_per_unit == 1
    assert policy.metrics["ai_feedback_generation"].cost_per_unit == 5


def test_unlisted_metrics_are_refused_unless_the_policy_makes_them_free() -> None:
    assert parse_policy(POLICY, "t").metric("translation") is None
    free = parse_policy({**POLICY, "unlisted_metrics": "free"}, "t").metric("translation")
    assert free is not None
    assert free.cost_per_unit == 0


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            {"metrics": {"cj_comparison": {"cost_per_unit": -1}}},
            "metrics.cj_comparison.cost_per_unit",
        ),
        ({"metrics": {"cj_comparison": {"cost_per_unit": 0}}}, "metrics.cj_comparison"),
        (
            {"metrics": {"cj_comparison": {"free": True, "cost_per_unit": 2}}},
            "metrics.cj_comparison",
        ),
        ({"metrics": {"Bad-Name": {"cost_per_unit": 1}}}, "metrics.Bad-Name"),
        (
            {"metrics": {"x": {"cost_per_unit": 1, "rate_limits": [{"count": 5, "per": "week"}]}}},
            "metrics.x.rate_limits.0.per",
        ),
        ({"signup_bonus": {"user": -5}}, "signup_bonus.user"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_an_invalid_entry_is_named(change: dict[str, object], named: str) -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy({**POLICY, **change}, "policy.yaml")
    assert named in str(error.value)


def test_a_file_that_is_not_yaml_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: [unclosed\n")
    with pytest.raises(PolicyError, match=r"policy\.yaml"):
        load_policy(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.yaml")
