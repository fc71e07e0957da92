"""``qnb doctor``: check a ``QNB_HOME`` (privacy, the store's integrity, the runner), tighten
its permissions (``--fix``) and rebuild a damaged store from what can still be read
(``--recover``), keeping the damaged file beside the new one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError, store_url
from .files import exposed, tighten
from .models import StoreError
from .store import (
    CORRUPT_MARK,
    STORE_FILE,
    SQLiteStore,
    forget_store,
    open_store,
    salvage,
    set_aside,
)


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
    try:
        url = store_url(home)
    except ConfigError as exc:
        report.bad(str(exc))
        return report
    if url:
        _check_shared(url, home, report)
        return report
    db = home / STORE_FILE
    if not db.exists():
        report.ok("no job store yet")
        return report
    try:
        verdict = SQLiteStore(db).quick_check()
    except StoreError as exc:
        report.bad(str(exc))
        return report
    if verdict == "ok":
        report.ok(f"{db} passes PRAGMA quick_check")
    else:
        report.bad(f"{db} fails PRAGMA quick_check: {verdict[:200]}; run 'qnb doctor --recover'")
    return report


def _check_shared(url: str, home: Path, report: Report) -> None:
    """A shared store (``QNB_STORE``): reachable, its schema whole, who serves it."""
    try:
        store = open_store(home, url=url)
        verdict = store.integrity_check()
    except StoreError as exc:
        report.bad(str(exc))
        return
    if verdict != "ok":
        report.bad(f"{store.url} fails its check: {verdict[:200]}")
        return
    report.ok(f"{store.url} is reachable and whole (schema {store.schema_version})")
    alive = [r for r in store.runners() if r["alive"]]
    if alive:
        hosts = ", ".join(sorted({r["host"] for r in alive}))
        report.ok(f"{len(alive)} runner(s) serve it (on {hosts})")
    elif store.busy():
        report.bad(f"jobs wait in {store.url} but no runner serves it: start 'qnb runner "
                   "--serve' on a machine that can reach it")
    else:
        report.ok("no runner serves it now, and no job waits")


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
    saved, lost, new = salvage(db)
    damaged = set_aside(db, "damaged")
    new.replace(db)
    (home / CORRUPT_MARK).unlink(missing_ok=True)
    forget_store(home)
    report.did(f"rebuilt {db}: {saved} job(s) saved, {lost} lost; the damaged file is "
               f"{damaged}")
    return report
