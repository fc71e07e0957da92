"""Backups of the SQLite job store: consistent online copies (SQLite's backup API) under
``QNB_HOME/backups/``, made by ``qnb backup`` and by the runner at most once a day, keeping
the newest ``runner.backups`` (default 7); ``qnb restore FILE`` puts one back."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from ...models import StoreError
from .connection import CORRUPT_MARK, STORE_FILE, set_aside
from .maintenance import Maintenance, copy_file

BACKUP_DIR = "backups"
DEFAULT_KEEP = 7
DAY = 24 * 3600.0


def backups(home: Path) -> list[Path]:
    """The backups of ``home``, oldest first."""
    return sorted((home / BACKUP_DIR).glob("jobs-*.sqlite"))


def make_backup(store: Maintenance, home: Path, keep: int = DEFAULT_KEEP) -> Path:
    """A new backup of ``store``; the oldest beyond ``keep`` are removed."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    dest = store.backup(home / BACKUP_DIR / f"jobs-{stamp}.sqlite")
    for old in backups(home)[:-keep]:
        old.unlink(missing_ok=True)
    return dest


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
    try:
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        verdict = str(exc)
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
