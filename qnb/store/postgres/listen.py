"""Wake-ups across machines: a thread that ``LISTEN``s on the channels of some topics
(``schema.CHANNELS``: submits, ends) and hands each notification ("submit <provider>",
"end <id>") to a callback. A dropped connection is retried every few seconds; meanwhile
the callers' own slow polls keep everything moving.

Every listening connection costs the server a wake-up for every notification in its
database, whatever the channel (PostgreSQL 15, Debian's, signals all of a database's
listeners), so a process that needs both kinds of news listens to both on one connection."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection

import psycopg

from .schema import CHANNELS

log = logging.getLogger("qnb.store")

RETRY_SECONDS = 2.0
LOOK_SECONDS = 0.5  # how often the topics wanted are looked at again


class Listener:
    """``LISTEN`` on the channels of the topics ``topics()`` names ("submit", "end"), on a
    connection of its own, in a daemon thread; ``topics`` is asked again every
    ``LOOK_SECONDS``, so a listener can take up a topic or drop it as it needs it."""

    def __init__(self, url: str, where: str, topics: Callable[[], Collection[str]],
                 callback: Callable[[str], None]) -> None:
        self.url, self.where, self.callback, self._topics = url, where, callback, topics
        self.topics: frozenset[str] = frozenset()  # the topics listened to now
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qnb-listen", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop listening; with ``wait``, once the connection is closed (up to
        ``LOOK_SECONDS`` later), else the thread closes it by itself."""
        self._stop.set()
        if wait:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                     application_name="qnb-listen") as conn:
                    while not self._stop.is_set():
                        self._listen(conn)
                        self.connected.set()
                        for note in conn.notifies(timeout=LOOK_SECONDS):
                            self._tell(note.payload)
            except psycopg.Error as exc:
                log.warning("qnb: listening to %s failed (%s); retrying in %.0f s", self.where,
                            " ".join(str(exc).split())[:200], RETRY_SECONDS)
                self._stop.wait(RETRY_SECONDS)
            finally:
                self.connected.clear()
                self.topics = frozenset()

    def _listen(self, conn: psycopg.Connection) -> None:
        """``LISTEN`` to the topics wanted now and ``UNLISTEN`` the others."""
        try:
            wanted = frozenset(self._topics())
        except Exception:
            log.exception("qnb: asking which notifications to listen to failed")
            return
        if not wanted <= CHANNELS.keys():
            log.error("qnb: cannot listen to %s: the topics are %s",
                      ", ".join(sorted(wanted - CHANNELS.keys())), ", ".join(CHANNELS))
            wanted &= CHANNELS.keys()
        for topic in sorted(wanted - self.topics):
            conn.execute(f"LISTEN {CHANNELS[topic]}")
        for topic in sorted(self.topics - wanted):
            conn.execute(f"UNLISTEN {CHANNELS[topic]}")
        self.topics = wanted

    def _tell(self, payload: str) -> None:
        try:
            self.callback(payload)
        except Exception:
            log.exception("qnb: a wake-up callback failed")
