"""The SQLite store's file and connections: one connection per thread (and process), short
``BEGIN IMMEDIATE`` write transactions, read snapshots, and what an SQLite error means for
the user (a damaged file is marked, so that every process refuses it until recovered)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ...files import NETWORK_FILESYSTEMS, filesystem_type, open_private, write_private
from ...models import StoreCorrupt, StoreError
from ..sql.base import SQLBase
from .schema import SCHEMA_VERSION, migrate

STORE_FILE = "jobs.sqlite"
#: beside a store found damaged: every process refuses the store until it is recovered
CORRUPT_MARK = "jobs.sqlite.corrupt"
DAMAGE = ("malformed", "not a database", "file is encrypted", "database corruption")


def mark_of(path: Path) -> Path:
    """The corruption mark of the store file ``path`` (``CORRUPT_MARK`` for jobs.sqlite)."""
    return path.with_name(path.name + ".corrupt")


def corrupt_message(path: Path, detail: str) -> str:
    return (f"qnb job store {path} is damaged ({detail}); nothing more is written to it. "
            "Run 'qnb doctor --recover' to build a new store from what can still be read "
            "(the damaged file is kept beside it)")


def mark_corrupt(path: Path, detail: str) -> StoreCorrupt:
    """Remember that the store at ``path`` is damaged (for every process), and say so."""
    detail = " ".join(detail.split())[:300]  # one line
    with suppress(OSError):
        write_private(mark_of(path), detail + "\n")
    return StoreCorrupt(corrupt_message(path, detail))


def explain(exc: sqlite3.Error, path: Path) -> StoreError:
    """What an SQLite error means for the user, as a ``StoreError`` (damage marks the store)."""
    msg = str(exc)
    if any(word in msg for word in DAMAGE):
        return mark_corrupt(path, f"SQLite: {msg}")
    if "disk is full" in msg or "disk I/O" in msg:
        why = "the disk holding it is full or failing"
    elif "readonly" in msg or "read-only" in msg:
        why = "it is read-only"
    elif "unable to open" in msg:
        why = "it cannot be opened (check the folder exists and is writable)"
    elif "locked" in msg:
        why = "another process held it locked for too long"
    else:
        why = msg
    return StoreError(f"qnb job store {path}: cannot write: {why} ({msg}); nothing was saved")


def set_aside(db: Path, suffix: str) -> Path:
    """Rename the store file ``db`` (and its -wal and -shm files) to ``<db>.<suffix>-<time>``,
    so that a new store can take its place; where it went."""
    aside = db.with_name(f"{db.name}.{suffix}-{time.strftime('%Y%m%d-%H%M%S')}")
    db.replace(aside)
    for side in ("-wal", "-shm"):
        if db.with_name(db.name + side).exists():
            db.with_name(db.name + side).replace(aside.with_name(aside.name + side))
    return aside


class Connections(SQLBase):
    """One store file: thread-safe, cheap to create; connections are per thread."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        self._local = threading.local()
        fs = filesystem_type(self.path.parent)
        if fs.lower() in NETWORK_FILESYSTEMS:
            raise StoreError(
                f"qnb job store {self.path} is on a network filesystem ({fs}): SQLite's WAL "
                "mode and the runner's flock lock are unsafe there (another host's writes or "
                "runner can go unseen); set QNB_HOME to a folder on a local disk, e.g. "
                "QNB_HOME=/tmp/$USER/qnb or a node-local scratch folder, or share a "
                "PostgreSQL store (QNB_STORE=postgresql://...)")
        mark = mark_of(self.path)
        if mark.exists():
            raise StoreCorrupt(corrupt_message(self.path, mark.read_text().strip() or "marked"))
        if not self.path.exists() and self.path.parent.is_dir():
            # created private: SQLite gives its -wal and -shm files the database's mode
            with suppress(OSError):
                os.close(open_private(self.path, os.O_WRONLY | os.O_CREAT))
        migrate(self._conn(), self.path, self._write, explain)

    @property
    def home(self) -> Path:
        """The ``QNB_HOME`` this store belongs to: the folder of its file."""
        return self.path.parent

    @property
    def url(self) -> str:
        """Where the store is, as a URL (``sqlite:///path``)."""
        return f"sqlite://{self.path.resolve()}"

    def identity(self) -> tuple[Any, ...]:
        """What tells this store apart from one put in its place (a restore, a recovery):
        the file's device and inode."""
        stat = self.path.stat()
        return ("sqlite", stat.st_dev, stat.st_ino)

    # -- connections and transactions -------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            try:
                conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None,
                                       check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
            except sqlite3.Error as exc:
                raise explain(exc, self.path) from exc
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def _write(self, *, counted: bool = True,
               ordered: bool = True) -> Iterator[sqlite3.Connection]:
        """One short write transaction (``BEGIN IMMEDIATE``: the write lock is taken first, so
        what is read inside cannot change before the write); rolled back whole on any error.
        Refused once another process has found the file damaged (its mark is beside it)."""
        mark = mark_of(self.path)
        if mark.exists():
            raise StoreCorrupt(corrupt_message(self.path, mark.read_text().strip() or "marked"))
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise explain(exc, self.path) from exc
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: every read of this thread inside sees the same state."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield None
        finally:
            conn.execute("COMMIT")

    def _read_failed(self, exc: Exception) -> None:
        """A read that fails because the file is damaged marks it so for every process."""
        if isinstance(exc, sqlite3.DatabaseError) and any(word in str(exc) for word in DAMAGE):
            raise mark_corrupt(self.path, f"SQLite: {exc}") from exc

    @property
    def schema_version(self) -> int:
        return self._conn().execute("PRAGMA user_version").fetchone()[0]

    @property
    def schema_target(self) -> int:
        """The schema version this qnb writes."""
        return SCHEMA_VERSION
