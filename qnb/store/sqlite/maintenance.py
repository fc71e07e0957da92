"""Keeping the SQLite store sound: giving space back, online backups, integrity checks, and
the change counter the sidebar's feed polls."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from ...files import open_private, private_dir
from .connection import Connections, explain, mark_corrupt


def copy_file(src: Path, dest: Path, *, source: sqlite3.Connection | None = None) -> Path:
    """Copy the SQLite database ``src`` (or the open connection ``source``) to ``dest``,
    private, with SQLite's online backup API."""
    private_dir(dest.parent)
    os.close(open_private(dest, os.O_WRONLY | os.O_CREAT))
    target = sqlite3.connect(dest)
    try:
        if source is not None:
            source.backup(target)
        else:
            with contextlib.closing(sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro",
                                                    uri=True)) as conn:
                conn.backup(target)
    finally:
        target.close()
    return dest


class Maintenance(Connections):
    """Reclaim space, back up, check."""

    def reclaim(self) -> int:
        """Give the space of deleted rows back to the disk (``VACUUM``, then an emptied
        write-ahead log); how many bytes the store shrank by."""
        before = self.disk_bytes()
        conn = self._conn()
        try:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from exc
        return max(before - self.disk_bytes(), 0)

    def disk_bytes(self) -> int:
        """The store's size on disk, its write-ahead log included."""
        return sum(p.stat().st_size for p in (self.path, self.path.with_name(self.path.name + "-wal"))
                   if p.exists())

    def backup(self, dest: Path) -> Path:
        """A consistent copy of the store at ``dest`` (private), made with SQLite's online
        backup API while others keep using the store."""
        return copy_file(self.path, dest, source=self._conn())

    def integrity_check(self) -> str:
        return self._conn().execute("PRAGMA integrity_check").fetchone()[0]

    def change_counter(self) -> int:
        """A number that changes whenever another connection has written to the store
        (SQLite's ``PRAGMA data_version``: no table is read). Compare values read from one
        thread only: each thread has its own connection, and so its own counter."""
        return self._conn().execute("PRAGMA data_version").fetchone()[0]

    def quick_check(self) -> str:
        """SQLite's ``PRAGMA quick_check``: "ok", or what is wrong. A damaged store is marked
        so (``StoreCorrupt`` from then on, in every process)."""
        try:
            rows = [r[0] for r in self._conn().execute("PRAGMA quick_check(20)")]
        except sqlite3.DatabaseError as exc:
            rows = [str(exc)]
        verdict = "ok" if rows == ["ok"] else "; ".join(rows)
        if verdict != "ok":
            mark_corrupt(self.path, f"quick_check: {verdict[:300]}")
        return verdict
