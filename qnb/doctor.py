"""``qnb doctor``: check a ``QNB_HOME`` (privacy, the store's integrity, the runner), tighten
its permissions (``--fix``) and rebuild a damaged store from what can still be read
(``--recover``), keeping the damaged file beside the new one."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .files import exposed, tighten
from .models import StoreError
from .store import CORRUPT_MARK, STORE_FILE, Store, set_aside


@dataclass
class Report:
    """What the doctor found: lines to print, and whether anything is still wrong."""

    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def ok(self, text: str) -> None:
        self.lines.append(f"ok       {text}")

    def bad(self, text: str) -> None:
        self.lines.append(f"PROBLEM  {text}")
        self.problems += 1

    def did(self, text: str) -> None:
        self.lines.append(f"fixed    {text}")


def check(home: Path, *, fix: bool = False) -> Report:
    """Privacy (with ``fix``, made private) and the store's ``quick_check``."""
    report = Report()
    loose = exposed(home)
    if loose and fix:
        report.did(f"made {tighten(home)} file(s) and folder(s) under {home} private")
    elif loose:
        shown = ", ".join(f"{p.name or p} {m:04o}" for p, m in loose[:5])
        report.bad(f"{len(loose)} path(s) under {home} can be read by other users ({shown}); "
                   "run 'qnb doctor --fix'")
    else:
        report.ok(f"{home} is private to its owner")
    db = home / STORE_FILE
    if not db.exists():
        report.ok("no job store yet")
        return report
    try:
        verdict = Store(db).quick_check()
    except StoreError as exc:
        report.bad(str(exc))
        return report
    if verdict == "ok":
        report.ok(f"{db} passes PRAGMA quick_check")
    else:
        report.bad(f"{db} fails PRAGMA quick_check: {verdict[:200]}; run 'qnb doctor --recover'")
    return report


def recover(home: Path) -> Report:
    """Build a new store from every job that can still be read from the damaged one, keep
    the damaged file as ``jobs.sqlite.damaged-<time>``, and say how many jobs were saved and
    how many lost. The runner must not run meanwhile."""
    from .runner.control import runner_alive

    report = Report()
    db = home / STORE_FILE
    if runner_alive(home):
        report.bad("a runner is serving this store; stop it first ('qnb runner --stop')")
        return report
    if not db.exists():
        report.ok("no job store: nothing to recover")
        (home / CORRUPT_MARK).unlink(missing_ok=True)
        return report
    saved, lost, new = _salvage(db)
    damaged = set_aside(db, "damaged")
    new.replace(db)
    (home / CORRUPT_MARK).unlink(missing_ok=True)
    from .store import forget_store

    forget_store(home)
    report.did(f"rebuilt {db}: {saved} job(s) saved, {lost} lost; the damaged file is "
               f"{damaged}")
    return report


def _salvage(db: Path) -> tuple[int, int, Path]:
    """(saved, lost, path of the new store) reading the damaged store job by job."""
    from .store import _FIELDS, _to_record

    new = db.with_name(f"{STORE_FILE}.recovering")
    new.unlink(missing_ok=True)
    fresh = Store(new)
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
            row = src.execute(f"SELECT {', '.join(_FIELDS)} FROM jobs WHERE id = ?",
                              (job_id,)).fetchone()
            payload = src.execute("SELECT format, data FROM payloads WHERE job_id = ?",
                                  (job_id,)).fetchone()
            result = src.execute("SELECT data FROM results WHERE job_id = ?",
                                 (job_id,)).fetchone()
            record = _to_record(row)
        except (sqlite3.DatabaseError, TypeError, ValueError):
            continue
        fmt, data = payload if payload else ("lost", b"")
        fresh.import_job(record, fmt, bytes(data), json.loads(result[0]) if result else None)
        saved += 1
    src.close()
    fresh.close()
    return saved, max(highest, len(ids)) - saved, new
