"""A real PostgreSQL server for the tests: Debian's binaries, a cluster made with ``initdb``
in a temporary folder, listening only on a Unix socket there. ``initdb`` refuses to run as
root, so as root the server runs as the ``postgres`` user (``runuser``). Each test gets a
database of its own (``fresh_database``)."""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg


def binaries() -> Path | None:
    """The folder of Debian's newest PostgreSQL server binaries, or None if not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0)
    return Path(found[-1]).parent if found else None


class Server:
    """One PostgreSQL cluster, started on a Unix socket; ``stop`` removes it."""

    def __init__(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (scripts/setup.sh --postgres "
                               "installs Debian's postgresql package)")
        self.root = Path(tempfile.mkdtemp(prefix="qnb-pg-"))
        self.data, self.socket = self.root / "data", self.root / "socket"
        self.socket.mkdir()
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else os.environ.get("USER", "postgres")
        if self.as_root:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket, "postgres", "postgres")
        self._run(bin_dir / "initdb", "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        self._run(bin_dir / "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"),
                  "-w", "-t", "60", "-o",
                  f"-c listen_addresses='' -c unix_socket_directories={self.socket} "
                  "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                  "-c max_connections=200", "start")
        self.bin_dir = bin_dir

    def _run(self, *cmd: object) -> None:
        args = [str(c) for c in cmd]
        if self.as_root:
            args = ["runuser", "-u", "postgres", "--", *args]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "log"
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr or done.stdout}"
                               + (log.read_text() if log.exists() else ""))

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{database}?host={self.socket}"

    def fresh_database(self) -> str:
        """A new, empty database; its URL."""
        name = "qnb_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            self._run(self.bin_dir / "pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


_shared: Server | None = None


def shared_server() -> Server:
    """The test session's server, started on first use and stopped at exit. Without
    PostgreSQL installed the test is skipped, saying why, except in CI, where ``make test``
    installs it and a missing server is a failure."""
    global _shared
    if _shared is None:
        import pytest

        if binaries() is None and not os.environ.get("CI"):
            pytest.skip("PostgreSQL is not installed here (make test installs it)")
        _shared = Server()
        atexit.register(_shared.stop)
    return _shared


def on_postgres() -> bool:
    """Whether this run puts every test's store on PostgreSQL (``QNB_TEST_STORE``)."""
    return os.environ.get("QNB_TEST_STORE") == "postgresql"
