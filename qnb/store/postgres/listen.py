"""Wake-ups across machines: a thread that ``LISTEN``s on some channels (``schema.CHANNELS``:
submits, ends) and hands each notification ("submit <provider>", "end <id>") to a
callback. A dropped connection is retried every few seconds; meanwhile the callers' own
slow polls keep everything moving.

Every listening connection costs the server a wake-up for every notification in its
database, whatever the channel (PostgreSQL 15, Debian's, signals all of a database's
listeners), so a process that needs both kinds of news listens to both on one connection."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import psycopg

log = logging.getLogger("qnb.store")

RETRY_SECONDS = 2.0


class Listener:
    """``LISTEN`` on ``channels``, on a connection of its own, in a daemon thread."""

    def __init__(self, url: str, where: str, channels: Sequence[str],
                 callback: Callable[[str], None]) -> None:
        self.url, self.where, self.callback = url, where, callback
        self.channels = list(channels)
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qnb-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                     application_name="qnb-listen") as conn:
                    for channel in self.channels:
                        conn.execute(f"LISTEN {channel}")
                    self.connected.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._tell(note.payload)
            except psycopg.Error as exc:
                self.connected.clear()
                log.warning("qnb: listening to %s failed (%s); retrying in %.0f s", self.where,
                            " ".join(str(exc).split())[:200], RETRY_SECONDS)
                self._stop.wait(RETRY_SECONDS)

    def _tell(self, payload: str) -> None:
        try:
            self.callback(payload)
        except Exception:
            log.exception("qnb: a wake-up callback failed")
