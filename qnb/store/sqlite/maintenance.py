"""Keeping the SQLite store sound and bounded: pruning finished jobs, giving space back,
online backups, integrity checks, and the change counter the sidebar's feed polls."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from ...files import open_private, private_dir
from ...models import JobStatus
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
    """Prune, reclaim, back up, check."""

    # -- keeping the store bounded ----------------------------------------------------------
    def prune(self, *, before: float, statuses: Iterable[str] | None = None,
              dry_run: bool = False, batch: int = 2000, at_most: int | None = None) -> int:
        """Delete finished jobs (DONE, ERROR, CANCELLED: never a queued or running one)
        created before ``before``, only those with one of ``statuses`` when given, with their
        payloads, results, events and tags; how many. In short transactions of ``batch``
        jobs, so other processes keep working; no more than ``at_most`` when given.
        ``reclaim`` gives the space back."""
        final = {str(s) for s in JobStatus if s.is_final}
        chosen = final if statuses is None else {str(JobStatus(s)) for s in statuses}
        if chosen - final:
            raise ValueError(f"only finished jobs can be pruned, not {sorted(chosen - final)}")
        marks = ", ".join("?" * len(chosen))
        where = f"status IN ({marks}) AND created_at < ?"
        args = (*sorted(chosen), before)
        if dry_run:
            return self._conn().execute(f"SELECT COUNT(*) FROM jobs WHERE {where}",
                                        args).fetchone()[0]
        removed = 0
        while True:
            if at_most is not None:
                batch = min(batch, at_most - removed)
                if batch <= 0:
                    return removed
            with self._write() as c:
                ids = [r[0] for r in c.execute(f"SELECT id FROM jobs WHERE {where} LIMIT ?",
                                               (*args, batch))]
                if ids:  # payloads, results, events and tags go with them (ON DELETE CASCADE)
                    c.execute(f"DELETE FROM jobs WHERE id IN ({', '.join('?' * len(ids))}) "
                              f"AND {where}", (*ids, *args))
            removed += len(ids)
            if len(ids) < batch:
                return removed

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
