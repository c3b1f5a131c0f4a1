"""The compose files read as Compose reads them: includes merged, env files and environment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lock

from scripts.platform_services import REPO_ROOT

MAIN_FILE = REPO_ROOT / "docker-compose.yml"
INFRASTRUCTURE_FILE = REPO_ROOT / "docker-compose.infrastructure.yml"
SERVICES_FILE = REPO_ROOT / "docker-compose.services.yml"
OBSERVABILITY_FILE = REPO_ROOT / "docker-compose.observability.yml"
COMPOSE_FILES = (MAIN_FILE, INFRASTRUCTURE_FILE, SERVICES_FILE, OBSERVABILITY_FILE)
ENV_EXAMPLE = REPO_ROOT / "env.example"
APP_ROOT_IN_IMAGE = "/app"
_ENV_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


@dataclass(frozen=True)
class Reset:
    """Compose's `!reset` in an override file: the merged value becomes this one."""

    value: Any


class ComposeLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML is untyped here
    """YAML as Compose writes it: `!reset` and `!override` tags in override files."""


def _reset(loader: yaml.SafeLoader, node: yaml.Node) -> Reset:
    if isinstance(node, yaml.SequenceNode):
        return Reset(loader.construct_sequence(node))
    if isinstance(node, yaml.MappingNode):
        return Reset(loader.construct_mapping(node))
    return Reset(loader.construct_scalar(node))


ComposeLoader.add_constructor("!reset", _reset)
ComposeLoader.add_constructor("!override", _reset)


def load_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.load(path.read_text(), Loader=ComposeLoader)  # a safe loader (SafeLoader)
    assert isinstance(loaded, dict), f"{path.name} is not a mapping"
    return loaded


def interpolate(value: str) -> str:
    """`${NAME:-default}` as Compose reads it when NAME is unset: the default."""
    return _VARIABLE.sub(lambda match: match["default"] or "", value)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """An override file's service over the base one (mappings merge, `!reset` replaces)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Reset):
            merged[key] = value.value
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def included_entries(document: dict[str, Any]) -> list[list[Path]]:
    """Each `include` entry: its file, then the override files merged over it."""
    entries: list[list[Path]] = []
    for entry in document.get("include", []):
        spec = entry if isinstance(entry, str) else entry["path"]
        entries.append([REPO_ROOT / item for item in ([spec] if isinstance(spec, str) else spec)])
    return entries


def included_paths(document: dict[str, Any]) -> list[Path]:
    return [path for entry in included_entries(document) for path in entry]


def included_services(entry: list[Path]) -> dict[str, dict[str, Any]]:
    base, *overrides = entry
    services: dict[str, dict[str, Any]] = dict(load_yaml(base).get("services", {}))
    for override in overrides:
        for name, service in load_yaml(override).get("services", {}).items():
            assert name in services, f"{override.name} overrides {name}, which {base.name} lacks"
            services[name] = merge(services[name], service)
    return services


def platform_services(profiles: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """The services `docker compose up` runs (with these profiles): every included file, merged."""
    merged: dict[str, dict[str, Any]] = {}
    for entry in included_entries(load_yaml(MAIN_FILE)):
        for name, service in included_services(entry).items():
            assert name not in merged, f"service {name} is defined twice"
            if set(service.get("profiles", [])) <= profiles:
                merged[name] = service
    return merged


def every_service() -> dict[str, dict[str, Any]]:
    """Every service of docker-compose.yml, whatever its profile."""
    return platform_services(frozenset({"observability", "demo"}))


def platform_volumes() -> set[str]:
    names: set[str] = set()
    for path in included_paths(load_yaml(MAIN_FILE)):
        names |= set(load_yaml(path).get("volumes") or {})
    return names


def parse_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        assert match, f"{path.name}:{number} is not KEY=VALUE: {raw!r}"
        values[match["key"]] = match["value"]
    return values


def env_files(service: dict[str, Any]) -> list[tuple[Path, bool]]:
    """(path, required) for each env_file entry of a compose service."""
    entries = service.get("env_file", [])
    entries = [entries] if isinstance(entries, str) else entries
    result: list[tuple[Path, bool]] = []
    for entry in entries:
        if isinstance(entry, str):
            result.append((REPO_ROOT / entry, True))
        else:
            result.append((REPO_ROOT / entry["path"], bool(entry.get("required", True))))
    return result


def container_environment(service: dict[str, Any]) -> dict[str, str]:
    """What the container sees: required env files (optional ones are absent in CI), then
    `environment`, which wins."""
    environment: dict[str, str] = {}
    for path, required in env_files(service):
        if required:
            environment |= parse_env_file(path)
    declared = service.get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) for item in declared)
    return environment | {key: interpolate(str(value)) for key, value in declared.items()}


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    assert isinstance(command, list), "commands are written in exec form (a list)"
    return [str(part) for part in command]


def repo_path_of(container_path: str) -> Path:
    """Where a path inside the platform image comes from in the repository."""
    assert container_path.startswith(APP_ROOT_IN_IMAGE + "/"), container_path
    return REPO_ROOT / container_path.removeprefix(APP_ROOT_IN_IMAGE + "/")


@dataclass(frozen=True)
class PortMapping:
    host: int
    container: int
    host_ip: str  # "" when the port is published on every interface


def port_mappings(service: dict[str, Any]) -> list[PortMapping]:
    """`[IP:]HOST:CONTAINER` entries, their `${...}` defaults filled in."""
    mappings: list[PortMapping] = []
    for entry in service.get("ports", []):
        published, _, container = interpolate(str(entry)).rpartition(":")
        host_ip, _, host = published.rpartition(":")
        mappings.append(PortMapping(int(host), int(container), host_ip))
    return mappings
