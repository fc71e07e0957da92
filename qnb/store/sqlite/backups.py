"""Backups of the SQLite job store: consistent online copies (SQLite's backup API) under
``QNB_HOME/backups/``, made by ``qnb backup`` and by the runner at most once a day, keeping
the newest ``runner.backups`` (default 7); ``qnb restore FILE`` puts one back.

Every backup in the rotation was verified when it was made: the store is checked first
(``quick_check``; a damaged store is marked, reported and never copied), and the copy is
checked before it takes its place. Rotation only follows a new verified backup, which it
keeps: it never removes the newest verified good backup, so a store damaged under a
long-lived runner cannot push the good copies out.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from ...models import StoreCorrupt, StoreError
from .connection import CORRUPT_MARK, STORE_FILE, corrupt_message, set_aside
from .maintenance import Maintenance, copy_file

BACKUP_DIR = "backups"
DEFAULT_KEEP = 7
DAY = 24 * 3600.0
SIDE_FILES = ("-wal", "-shm", "-journal")


def backups(home: Path) -> list[Path]:
    """The backups of ``home``, oldest first."""
    return sorted((home / BACKUP_DIR).glob("jobs-*.sqlite"))


def make_backup(store: Maintenance, home: Path, keep: int = DEFAULT_KEEP) -> Path:
    """A new verified backup of ``store``; then the oldest beyond ``keep`` are removed.

    ``StoreCorrupt`` (the store is marked damaged, nothing is written under ``backups/``)
    when the store fails its ``quick_check``; ``StoreError`` (nothing kept, nothing removed)
    when the copy fails its own."""
    if keep < 1:
        raise StoreError(f"keep must be at least 1 backup, not {keep}")
    verdict = store.quick_check()  # a damaged store is marked here
    if verdict != "ok":
        raise StoreCorrupt(corrupt_message(store.path, f"quick_check: {verdict[:300]}")
                           + "; it was not backed up, and the backups were left as they are")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    dest = home / BACKUP_DIR / f"jobs-{stamp}.sqlite"
    partial = dest.with_name(f".{dest.name}.partial")  # not a backup until it is checked
    try:
        store.backup(partial)
        copied = _seal(partial)
        if copied != "ok":
            raise StoreError(f"the backup of {store.path} failed its check ({copied[:300]}); "
                             "it was not kept, and the backups were left as they are")
        partial.replace(dest)
    finally:
        for leftover in (partial, *(partial.with_name(partial.name + s) for s in SIDE_FILES)):
            leftover.unlink(missing_ok=True)
    for old in backups(home)[:-keep]:
        if old != dest:  # the newest verified backup stays, whatever the names say
            old.unlink(missing_ok=True)
    return dest


def _seal(path: Path) -> str:
    """Make the copy ``path`` one self-contained file (a rollback journal, not WAL: no side
    files to lose) and check it: "ok", or what is wrong."""
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
            rows = [r[0] for r in conn.execute("PRAGMA quick_check(20)")]
    except sqlite3.DatabaseError as exc:
        rows = [str(exc)]
    return "ok" if rows == ["ok"] else "; ".join(rows)


def check_file(path: Path) -> str:
    """``PRAGMA quick_check`` of the SQLite file ``path``, read-only: "ok", or what is wrong."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro",
                                                uri=True)) as conn:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check(20)")]
    except sqlite3.DatabaseError as exc:
        rows = [str(exc)]
    return "ok" if rows == ["ok"] else "; ".join(rows)


def due(home: Path, every: float = DAY) -> bool:
    """Whether the newest backup is older than ``every`` seconds (or there is none)."""
    found = backups(home)
    return not found or time.time() - found[-1].stat().st_mtime >= every


def restore(home: Path, source: Path) -> str:
    """Replace the store of ``home`` by the backup ``source`` (checked first); the store it
    replaces is kept beside it. The runner must not run, and no process may hold the store
    open (the caller checks both). A line saying what was done."""
    if not source.is_file():
        raise StoreError(f"no backup at {source}")
    verdict = check_file(source)
    if verdict != "ok":
        raise StoreError(f"{source} is not a sound job store ({verdict}); nothing was changed")
    db = home / STORE_FILE
    kept = set_aside(db, "before-restore") if db.exists() else None
    copy_file(source, db)  # a copy: the backup stays as it was
    (home / CORRUPT_MARK).unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        jobs = conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    return (f"restored {db} from {source} ({jobs} jobs)"
            + (f"; the store it replaced is {kept}" if kept else ""))
