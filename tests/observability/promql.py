"""The metric names a PromQL expression reads (enough of PromQL for rules and dashboards)."""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      |(?P<braces>\{[^}]*\})
      |(?P<range>\[[^\]]*\])
      |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:ms|s|m|h|d|w|y)?)
      |(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)
      |(?P<open>\()
      |(?P<close>\))
      |(?P<other>\S)""",
    re.VERBOSE,
)
_LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_OPERATORS = frozenset({"bool", "and", "or", "unless", "offset", "inf", "nan", "atan2"})
_KEYWORDS = _OPERATORS | _LABEL_LISTS


def metric_names(expression: str) -> set[str]:
    tokens = [
        (match.lastgroup, match.group())
        for match in _TOKEN.finditer(expression)
        if match.lastgroup is not None
    ]
    names: set[str] = set()
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else (None, "")
        if kind == "name" and text.lower() in _LABEL_LISTS and following[0] == "open":
            index = _after_parenthesis(tokens, index + 1)
            continue
        # A name before "(" or before `by (...)`/`without (...)` is a function or an aggregation.
        called = following[0] == "open" or following[1].lower() in ("by", "without")
        if kind == "name" and not called and text.lower() not in _KEYWORDS:
            names.add(text)
        index += 1
    return names


def _after_parenthesis(tokens: list[tuple[str, str]], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        depth += {"open": 1, "close": -1}.get(tokens[index][0], 0)
        if depth == 0:
            return index + 1
    raise ValueError("unbalanced parentheses")
