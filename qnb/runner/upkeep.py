"""The runner's periodic upkeep of the store: health checks, daily backups and retention
(``keep_days``).

A health check is SQLite's ``quick_check`` through a new handle on the store (its own page
cache: the runner's may still hold pages that the disk has since lost), every
``check_every`` seconds and before each backup; the runner checked the store at its start.
A damaged store is marked (every process refuses it from then on) and ``StoreCorrupt`` goes
to the runner, which reports it and stops serving; it is never backed up.

Every period is measured from this runner's own start (``Every``): each task is first due
as soon as the runner starts, whatever the machine's uptime (``time.monotonic()`` counts from
boot, so a clock that starts at 0.0 would wait an hour on a machine booted minutes ago),
then again each period after it ran. Tasks run while no local job runs: a large store takes
seconds to copy or prune, which a job should not wait for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ..models import StoreCorrupt, StoreError
from ..store import JobStore, backup_due, corrupt_message, make_backup

log = logging.getLogger("qnb.runner")

HEALTH_CHECK_SECONDS = 3600.0  # how often an idle runner re-checks its store (default)
BACKUP_CHECK_SECONDS = 60.0  # how often the runner sees whether a daily backup is due
RETENTION_CHECK_SECONDS = 3600.0  # how often ``keep_days`` is applied
RETIRE_AT_ONCE = 20_000  # jobs removed by one application (the rest at the next idle turn)


class Every:
    """The clock of one periodic task: due at once, then ``seconds`` after each run."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: float | None = None  # never ran yet: due now

    def due(self) -> bool:
        return self._last is None or self._clock() - self._last >= self.seconds

    def ran(self) -> None:
        self._last = self._clock()

    def again(self) -> None:
        """Due again at once (the task has more to do)."""
        self._last = None


class Upkeep:
    """The runner's periodic tasks on its store; ``run(busy)`` runs those that are due."""

    def __init__(self, store: JobStore, reopen: Callable[[], JobStore], *, backups: int,
                 keep_days: float | None,
                 check_every: float = HEALTH_CHECK_SECONDS) -> None:
        self.store = store
        self.reopen = reopen  # a new handle on the same store, for health checks
        self.backups = backups  # daily backups kept (0: none)
        self.keep_days = keep_days  # finished jobs older than this are pruned (None: kept)
        self.health_clock = Every(check_every)
        self.health_clock.ran()  # the runner checked the store as it started
        self.backup_clock = Every(BACKUP_CHECK_SECONDS)
        self.retention_clock = Every(RETENTION_CHECK_SECONDS)

    def run(self, busy: Callable[[], int]) -> None:
        """Run the tasks that are due, unless ``busy()`` (local jobs running) says wait.
        ``StoreCorrupt`` when the store was found damaged."""
        check = self.health_clock.due()
        backup = self.backups and self.backup_clock.due()
        retire = self.keep_days and self.retention_clock.due()
        if not (check or backup or retire) or busy():
            return
        if check:
            self.check()
        if backup:
            self.backup_if_due()
        if retire:
            self.retire()

    def check(self) -> None:
        """SQLite's ``quick_check`` of the store through a new handle (which refuses a store
        another process has marked damaged); ``StoreCorrupt`` if it is damaged."""
        self.health_clock.ran()
        fresh = self.reopen()
        try:
            verdict = fresh.quick_check()  # marks a damaged store
        finally:
            fresh.close()
        if verdict != "ok":
            raise StoreCorrupt(corrupt_message(self.store.url, f"quick_check: {verdict[:300]}"))

    def backup_if_due(self) -> None:
        """An online backup, when the newest one is a day old (or there is none): only of a
        store that passes a health check, and only a copy that passes its own."""
        self.backup_clock.ran()
        if backup_due(self.store):
            self.check()
            try:
                log.info("backed up the store to %s", make_backup(self.store, keep=self.backups))
            except StoreCorrupt:
                raise
            except (OSError, StoreError) as exc:
                log.warning("backup failed: %s", exc)

    def retire(self) -> None:
        """Delete finished jobs created more than ``keep_days`` ago (at most
        ``RETIRE_AT_ONCE`` a time, in short transactions). The pages they free are reused,
        so the store stops growing; the usage ledger keeps what they used. ``qnb prune``
        also gives the space back to the disk."""
        self.retention_clock.ran()
        assert self.keep_days
        before = time.time() - self.keep_days * 86400
        try:
            removed = self.store.prune(before=before, at_most=RETIRE_AT_ONCE)
        except StoreError as exc:
            log.warning("retention: pruning failed: %s", exc)
            return
        if removed:
            log.info("retention: removed %d finished job(s) older than %g days", removed,
                     self.keep_days)
            if removed >= RETIRE_AT_ONCE:  # more to go: again at the next idle moment
                self.retention_clock.again()
