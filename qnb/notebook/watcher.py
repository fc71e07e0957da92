"""The kernel's one background thread that follows its jobs in the store and updates widgets.

It never prints (output from a thread lands in the wrong cell); it sets widget state, and
replaces outputs by their display id (``update_display``). JupyterLab applies such an
update to the output with that id whichever cell is running; nbclient (and so nbconvert
``--execute``) reads it only while some cell runs.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any, Protocol

from ..models import StoreError

log = logging.getLogger("qnb.notebook.watcher")


class Watched(Protocol):
    def tick(self, now: float, records: dict[str, Any] | None = None) -> bool:
        """Refresh; return False once nothing more will change. ``records`` holds the fresh
        store records of every watched job, read in one query per tick."""


class Watcher:
    """Calls ``tick()`` on every watched object a few times a second until it says it is done."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._items: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, item: Watched) -> None:
        with self._lock:
            self._items.add(item)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="qnb-watcher", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            with self._lock:
                items = list(self._items)
                if not items:
                    self._thread = None
                    return
            now = time.time()
            records = _read_records(items)
            for item in items:
                try:
                    keep = item.tick(now, records)
                except StoreError as exc:  # the store went away: its message says it all
                    log.warning("stopped updating %r: %s", item, exc)
                    keep = False
                except Exception:  # a broken widget must not stop the others
                    log.exception("updating %r failed", item)
                    keep = False
                if not keep:
                    with self._lock:
                        self._items.discard(item)
            self._wake.wait(self.interval)
            self._wake.clear()


def _read_records(items: list[Any]) -> dict[str, Any]:
    """One query per store for all watched jobs, instead of one per widget."""
    by_store: dict[Any, list[str]] = {}
    for item in items:
        job = getattr(item, "job", None)
        if job is not None:
            by_store.setdefault(job._store, []).append(job.id)
    records: dict[str, Any] = {}
    for store, ids in by_store.items():
        try:
            records.update(store.get_many(ids))
        except Exception:
            log.exception("reading job records failed")
    return records


_watcher: Watcher | None = None


def watcher() -> Watcher:
    global _watcher
    if _watcher is None:
        _watcher = Watcher()
    return _watcher
