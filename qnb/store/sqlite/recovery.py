"""Rebuilding a damaged SQLite store: every job that can still be read, with its payload and
result, is copied job by job into a new file (``qnb doctor --recover``)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ..records import FIELDS, to_record
from .connection import STORE_FILE
from .store import SQLiteStore


def salvage(db: Path) -> tuple[int, int, Path]:
    """(saved, lost, path of the new store) reading the damaged store job by job."""
    new = db.with_name(f"{STORE_FILE}.recovering")
    new.unlink(missing_ok=True)
    fresh = SQLiteStore(new)
    src = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    ids: list[str] = []
    highest = 0
    for sql in ("SELECT id, seq FROM jobs ORDER BY seq", "SELECT id, seq FROM jobs"):
        try:
            cur = src.execute(sql)
            while True:
                try:
                    row = cur.fetchone()
                except sqlite3.DatabaseError:
                    break
                if row is None:
                    break
                if row[0] not in ids:
                    ids.append(row[0])
                    highest = max(highest, int(row[1] or 0))
        except sqlite3.DatabaseError:
            continue
    saved = 0
    for job_id in ids:
        try:
            row = src.execute(f"SELECT {', '.join(FIELDS)} FROM jobs WHERE id = ?",
                              (job_id,)).fetchone()
            payload = src.execute("SELECT format, data FROM payloads WHERE job_id = ?",
                                  (job_id,)).fetchone()
            result = src.execute("SELECT data FROM results WHERE job_id = ?",
                                 (job_id,)).fetchone()
            record = to_record(row)
        except (sqlite3.DatabaseError, TypeError, ValueError):
            continue
        fmt, data = payload if payload else ("lost", b"")
        fresh.import_job(record, fmt, bytes(data), json.loads(result[0]) if result else None)
        saved += 1
    src.close()
    fresh.close()
    return saved, max(highest, len(ids)) - saved, new
