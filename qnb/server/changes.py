"""Job changes pushed to the sidebar: one watcher thread per server reads the store's change
counter (``JobStore.change_counter``, one integer) every ``INTERVAL`` and, when another process
has written, sends ``{"type": "changed"}`` once to every open socket of
``GET /qnb/api/changes``. Sidebars then fetch what they show; with no socket open the thread
stops. A socket that cannot connect leaves the sidebar polling, as before.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from tornado import websocket
from tornado.ioloop import IOLoop

from .service import JobService

log = logging.getLogger("qnb.server")

INTERVAL = 0.02  # seconds between two reads of the change counter
CHANGED = json.dumps({"type": "changed"})


class ChangeFeed:
    """The open change sockets of this server, and the one thread that feeds them."""

    def __init__(self, service: JobService, interval: float = INTERVAL) -> None:
        self.service = service
        self.interval = interval
        self._sockets: set[Any] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: IOLoop | None = None

    @property
    def listeners(self) -> int:
        return len(self._sockets)

    def add(self, socket: Any) -> None:
        """Tell ``socket`` (a ``ChangesSocket``, on the server's loop) about every change."""
        self._loop = IOLoop.current()
        with self._lock:
            self._sockets.add(socket)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="qnb-changes",
                                                daemon=True)
                self._thread.start()

    def discard(self, socket: Any) -> None:
        with self._lock:
            self._sockets.discard(socket)

    def _watch(self) -> None:
        stop = threading.Event()
        last = None
        while True:
            with self._lock:
                if not self._sockets:
                    self._thread = None
                    return
            try:
                now = self.service.store.change_counter()
            except Exception as exc:  # a damaged or missing store: the sidebar's poll says so
                log.debug("qnb: change counter unreadable: %s", exc)
                now = last
            if last is not None and now != last and self._loop is not None:
                self._loop.add_callback(self._tell_all)
            last = now
            stop.wait(self.interval)

    def _tell_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for socket in sockets:
            try:
                socket.write_message(CHANGED)
            except websocket.WebSocketClosedError:
                self.discard(socket)
