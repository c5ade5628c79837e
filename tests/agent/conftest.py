"""Fixtures for the agent tests: a real PostgreSQL server for the audit log, started once per test session.

The server comes from the Debian package ``postgresql`` (``scripts/ci-system-packages.sh`` installs it in
CI). It listens on a Unix socket in a private temporary folder only, never on TCP. PostgreSQL refuses to
run as root, so when the tests run as root the server runs as the ``postgres`` system user the package
creates (``runuser -u postgres --``, or ``su postgres`` where runuser is missing).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.serving import free_port

SERVER_USER_WHEN_ROOT = "postgres"
DATABASE = "audit_test"
# Durability is pointless for a throwaway test cluster and costs seconds on a busy disk.
FAST_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def _missing(message: str) -> NoReturn:
    """Skip on a developer machine; in CI (``CI=true``) a missing server is a broken setup, so fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: not skipping)")
    pytest.skip(message)


def _postgres_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl, else the ones on PATH."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    found = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin")]
    found = [d for d in found if (d / "initdb").is_file() and (d / "pg_ctl").is_file()]
    if found:
        return max(found, key=version)
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).resolve().parent / "initdb").is_file():
        return Path(on_path).resolve().parent
    return None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER_WHEN_ROOT, "--", *command]
    return ["su", SERVER_USER_WHEN_ROOT, "-s", "/bin/sh", "-c", shlex.join(command)]


def _run(command: list[str], cwd: Path, what: str, log: Path | None = None) -> None:
    result = subprocess.run(_as_server_user(command), cwd=cwd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
        pytest.fail(
            f"PostgreSQL {what} failed ({shlex.join(command)}, exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}\n{server_log}"
        )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL (psycopg 3, Unix socket) of an empty database on a server started for this session."""
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        _missing(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
            "`apt-get install postgresql` (or run scripts/ci-system-packages.sh)"
        )
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam(SERVER_USER_WHEN_ROOT)
        except KeyError:
            pytest.fail(
                f"running as root, PostgreSQL must run as another user, and the {SERVER_USER_WHEN_ROOT!r} "
                "system user the Debian package creates is missing: reinstall `postgresql` or run as non-root"
            )
    # A short path under /tmp: a Unix socket path may not exceed about 100 bytes.
    root = Path(tempfile.mkdtemp(prefix="de-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    if os.geteuid() == 0:
        os.chown(root, server_user.pw_uid, server_user.pw_gid)
    data, log, port = root / "data", root / "server.log", free_port()
    pg_ctl = str(bin_dir / "pg_ctl")
    started = False
    try:
        _run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            + ["--no-locale", "--no-sync"],
            root,
            "initdb",
        )
        options = f"-k {root} -p {port} -c listen_addresses='' {FAST_SETTINGS}"
        _run([pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start"], root, "start", log)
        started = True

        import psycopg

        with psycopg.connect(host=str(root), port=port, user="postgres", dbname="postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {DATABASE}")
        yield f"postgresql+psycopg://postgres@/{DATABASE}?host={root}&port={port}"
    finally:
        if started:
            _run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], root, "stop", log)
        shutil.rmtree(root, ignore_errors=True)
