"""The SQL stores' sessions: groups of jobs on one backend (``qnb.session``)."""

from __future__ import annotations

import time
from typing import Any

from .base import SQLBase, guarded


class Sessions(SQLBase):
    """Sessions and the jobs they group."""

    # -- sessions ---------------------------------------------------------------------------
    def add_session(self, session_id: str, backend: str, mode: str, max_time: float | None,
                    created_at: float) -> None:
        with self._write(ordered=False) as c:
            c.execute("INSERT INTO sessions (id, backend, mode, max_time, created_at) "
                      "VALUES (?, ?, ?, ?, ?)", (session_id, backend, mode, max_time, created_at))

    def close_session(self, session_id: str) -> None:
        with self._write(ordered=False) as c:
            c.execute("UPDATE sessions SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                      (time.time(), session_id))

    def set_session_remote(self, session_id: str, remote_id: str | None) -> None:
        with self._write(ordered=False) as c:
            c.execute("UPDATE sessions SET remote_id = ? WHERE id = ?", (remote_id, session_id))

    @guarded
    def session_info(self, session_id: str) -> dict[str, Any] | None:
        row = self._conn().execute(
            "SELECT id, backend, mode, max_time, created_at, closed_at, remote_id FROM sessions "
            "WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return None
        keys = ("id", "backend", "mode", "max_time", "created_at", "closed_at", "remote_id")
        return dict(zip(keys, row, strict=True))

    @guarded
    def session_pending(self, session_id: str) -> int:
        """Jobs of the session not yet handed to a service (queued, no remote id)."""
        return self._conn().execute(
            "SELECT COUNT(*) FROM jobs WHERE session = ? AND status = 'QUEUED' AND "
            "remote_id IS NULL", (session_id,)).fetchone()[0]
