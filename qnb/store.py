"""The job store: one SQLite file (WAL) under ``QNB_HOME``, the single source of truth and the queue.

Every process (kernels, runner, server, command line) opens it. Each status change is
its own short ``BEGIN IMMEDIATE`` transaction, so writers never hold the file for long
and no job is ever half-written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .models import FINAL_STATUSES, JobNotFound, JobRecord, JobStatus, StoreError, validate_job_id

SCHEMA_VERSION = 1
STORE_FILE = "jobs.sqlite"

# Migration N takes a store from version N-1 to N. Never edit a released entry: append.
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE jobs (
        id               TEXT PRIMARY KEY,
        seq              INTEGER NOT NULL,
        name             TEXT,
        backend          TEXT NOT NULL,
        provider         TEXT NOT NULL,
        status           TEXT NOT NULL,
        provider_status  TEXT,
        shots            INTEGER NOT NULL,
        seed             INTEGER,
        num_circuits     INTEGER NOT NULL,
        summary          TEXT NOT NULL DEFAULT '{}',
        options          TEXT NOT NULL DEFAULT '{}',
        created_at       REAL NOT NULL,
        started_at       REAL,
        finished_at      REAL,
        updated_at       REAL NOT NULL,
        error            TEXT,
        remote_id        TEXT,
        queue_position   INTEGER,
        estimated_start  REAL,
        origin           TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        attempts         INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_status_seq ON jobs (status, seq);
    CREATE INDEX jobs_seq ON jobs (seq);
    CREATE INDEX jobs_backend_seq ON jobs (backend, seq);
    CREATE TABLE payloads (
        job_id  TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
        format  TEXT NOT NULL,
        data    BLOB NOT NULL
    );
    CREATE TABLE results (
        job_id  TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
        data    TEXT NOT NULL
    );
    CREATE TABLE events (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        at      REAL NOT NULL,
        status  TEXT NOT NULL,
        detail  TEXT
    );
    CREATE INDEX events_job ON events (job_id, id);
    """,
}

_COLUMNS = (
    "id, name, backend, provider, status, provider_status, shots, seed, num_circuits, summary, "
    "options, created_at, started_at, finished_at, updated_at, error, remote_id, queue_position, "
    "estimated_start, origin, cancel_requested, attempts"
)

# Allowed moves of the status machine; anything else is refused by the store.
_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.ERROR}),
    JobStatus.RUNNING: frozenset(
        {JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED, JobStatus.QUEUED, JobStatus.RUNNING}
    ),
}


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def _row_to_record(row: sqlite3.Row | tuple) -> JobRecord:
    (jid, name, backend, provider, status, pstatus, shots, seed, ncirc, summary, options, created,
     started, finished, updated, error, remote_id, qpos, est, origin, cancel, attempts) = row
    return JobRecord(
        id=jid, name=name, backend=backend, provider=provider, status=JobStatus(status),
        provider_status=pstatus, shots=shots, seed=seed, num_circuits=ncirc,
        summary=json.loads(summary), options=json.loads(options), created_at=created,
        started_at=started, finished_at=finished, updated_at=updated, error=error,
        remote_id=remote_id, queue_position=qpos, estimated_start=est, origin=origin,
        cancel_requested=bool(cancel), attempts=attempts,
    )


def _explain(exc: sqlite3.Error, path: Path) -> StoreError:
    msg = str(exc)
    if "disk is full" in msg or "disk I/O" in msg:
        why = "the disk holding it is full or failing"
    elif "readonly" in msg or "read-only" in msg:
        why = "it is read-only"
    elif "unable to open" in msg:
        why = "it cannot be opened (check the folder exists and is writable)"
    elif "locked" in msg:
        why = "another process held it locked for too long"
    else:
        why = msg
    return StoreError(f"qnb job store {path}: cannot write: {why} ({msg}); nothing was saved")


class Store:
    """Thread-safe access to one job store file. Cheap to create; connections are per thread."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        self._local = threading.local()
        self._migrate()

    @classmethod
    def open(cls, home: Path | None = None) -> Store:
        from .config import qnb_home

        return cls((home or qnb_home()) / STORE_FILE)

    # -- connections and transactions -------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            try:
                conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None,
                                       check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
            except sqlite3.Error as exc:
                raise _explain(exc, self.path) from exc
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; rolled back whole on any error."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _explain(exc, self.path) from exc
            raise

    def _migrate(self) -> None:
        conn = self._conn()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"qnb job store {self.path} has schema version {version}, newer than this qnb "
                f"understands ({SCHEMA_VERSION}); upgrade qnb to open it (the file was not changed)"
            )
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from exc
        if mode.lower() != "wal" and os.access(self.path.parent, os.W_OK):
            raise StoreError(f"qnb job store {self.path}: cannot switch to WAL mode ({mode})")
        if version == SCHEMA_VERSION:
            return
        with self._write() as c:
            version = c.execute("PRAGMA user_version").fetchone()[0]  # re-read under the lock
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {target}")

    @property
    def schema_version(self) -> int:
        return self._conn().execute("PRAGMA user_version").fetchone()[0]

    # -- writing ------------------------------------------------------------------------
    def add_job(self, record: JobRecord, payload_format: str, payload: bytes) -> JobRecord:
        """Write a QUEUED job and its payload in one transaction."""
        now = time.time()
        record.updated_at = now
        with self._write() as c:
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
            c.execute(
                f"INSERT INTO jobs ({_COLUMNS}, seq) VALUES ({', '.join('?' * 23)})",
                (record.id, record.name, record.backend, record.provider, str(record.status),
                 record.provider_status, record.shots, record.seed, record.num_circuits,
                 json.dumps(record.summary), json.dumps(record.options), record.created_at,
                 record.started_at, record.finished_at, now, record.error, record.remote_id,
                 record.queue_position, record.estimated_start, record.origin,
                 int(record.cancel_requested), record.attempts, seq),
            )
            c.execute("INSERT INTO payloads (job_id, format, data) VALUES (?, ?, ?)",
                      (record.id, payload_format, payload))
            c.execute("INSERT INTO events (job_id, at, status) VALUES (?, ?, ?)",
                      (record.id, now, str(record.status)))
        return record

    def transition(self, job_id: str, status: JobStatus, *, expect: Iterable[JobStatus] | None = None,
                   error: str | None = None, provider_status: str | None = None,
                   result: dict[str, Any] | None = None, **fields: Any) -> bool:
        """Move a job to ``status`` (with optional fields) if its current status allows it.

        Returns False, changing nothing, when the job is already in a state that forbids the
        move (e.g. a cancelled job whose result arrives late).
        """
        status = JobStatus(status)
        now = time.time()
        allowed = set(expect) if expect is not None else {
            s for s, targets in _TRANSITIONS.items() if status in targets}
        sets = {"status": str(status), "updated_at": now}
        if status is JobStatus.RUNNING and "started_at" not in fields:
            sets["started_at"] = now
        if status in FINAL_STATUSES:
            sets["finished_at"] = now
        if error is not None:
            sets["error"] = error
        if provider_status is not None:
            sets["provider_status"] = provider_status
        sets.update(fields)
        assignments = ", ".join(f"{k} = ?" for k in sets)
        marks = ", ".join("?" * len(allowed))
        with self._write() as c:
            cur = c.execute(
                f"UPDATE jobs SET {assignments} WHERE id = ? AND status IN ({marks})",
                (*sets.values(), job_id, *map(str, allowed)),
            )
            if cur.rowcount == 0:
                return False
            if result is not None:
                c.execute("INSERT OR REPLACE INTO results (job_id, data) VALUES (?, ?)",
                          (job_id, json.dumps(result)))
            c.execute("INSERT INTO events (job_id, at, status, detail) VALUES (?, ?, ?, ?)",
                      (job_id, now, str(status), error or provider_status))
        return True

    def update(self, job_id: str, *, note: bool = False, **fields: Any) -> None:
        """Change informational fields (provider status, queue position...) of a job; with
        ``note``, also record the new provider status in the job's history."""
        if not fields:
            return
        fields["updated_at"] = now = time.time()
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self._write() as c:
            c.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*fields.values(), job_id))
            if note:
                c.execute("INSERT INTO events (job_id, at, status, detail) SELECT id, ?, status, "
                          "provider_status FROM jobs WHERE id = ?", (now, job_id))

    def claim(self, job_id: str, runner_id: str) -> JobRecord | None:
        """QUEUED -> RUNNING for the runner about to start it; None if it was cancelled meanwhile."""
        now = time.time()
        with self._write() as c:
            cur = c.execute(
                "UPDATE jobs SET status = 'RUNNING', started_at = ?, updated_at = ?, "
                "attempts = attempts + 1, provider_status = ? "
                "WHERE id = ? AND status = 'QUEUED' AND cancel_requested = 0",
                (now, now, "running on a local worker", job_id),
            )
            if cur.rowcount == 0:
                return None
            c.execute("INSERT INTO events (job_id, at, status) VALUES (?, ?, 'RUNNING')", (job_id, now))
        return self.get(job_id)

    def request_cancel(self, job_id: str) -> JobStatus:
        """Cancel a queued job at once, or ask the runner to stop a running one.

        Returns the status after the call. Raises ``JobNotFound``; a finished job is returned
        unchanged (the caller decides whether that is a conflict).
        """
        validate_job_id(job_id)
        now = time.time()
        with self._write() as c:
            row = c.execute("SELECT status, remote_id, provider_status FROM jobs WHERE id = ?",
                            (job_id,)).fetchone()
            if row is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            status = JobStatus(row[0])
            held_remotely = row[1] is not None or row[2] == "submitting"
            if status is JobStatus.QUEUED and not held_remotely:
                c.execute(
                    "UPDATE jobs SET status = 'CANCELLED', cancel_requested = 1, finished_at = ?, "
                    "updated_at = ?, error = 'cancelled before it started' WHERE id = ?",
                    (now, now, job_id))
                c.execute("INSERT INTO events (job_id, at, status, detail) VALUES "
                          "(?, ?, 'CANCELLED', 'cancelled while queued')", (job_id, now))
                return JobStatus.CANCELLED
            if not status.is_final:
                c.execute("UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                          (now, job_id))
            return status

    # -- reading ------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRecord:
        validate_job_id(job_id)
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return _row_to_record(row)

    def get_many(self, job_ids: Iterable[str]) -> dict[str, JobRecord]:
        ids = list(job_ids)
        if not ids:
            return {}
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE id IN ({', '.join('?' * len(ids))})", ids).fetchall()
        return {r[0]: _row_to_record(r) for r in rows}

    def list(self, *, status: str | Iterable[str] | None = None, backend: str | None = None,
             limit: int = 50, offset: int = 0, newest_first: bool = True) -> tuple[list[JobRecord], int]:
        """A page of jobs and the total that match the filters."""
        where, args = [], []
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            args += [str(JobStatus(s)) for s in statuses]
        if backend:
            where.append("backend = ?")
            args.append(backend)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        conn = self._conn()
        total = conn.execute(f"SELECT COUNT(*) FROM jobs {clause}", args).fetchone()[0]
        order = "DESC" if newest_first else "ASC"
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM jobs {clause} ORDER BY seq {order} LIMIT ? OFFSET ?",
            (*args, limit, offset)).fetchall()
        return [_row_to_record(r) for r in rows], total

    def queued(self, limit: int = 100) -> list[JobRecord]:
        """The oldest queued jobs first, skipping ones whose cancel is pending."""
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE status = 'QUEUED' AND cancel_requested = 0 "
            "AND remote_id IS NULL AND COALESCE(provider_status, '') != 'submitting' "
            "ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [_row_to_record(r) for r in rows]

    def running(self) -> list[JobRecord]:
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE status = 'RUNNING' ORDER BY seq").fetchall()
        return [_row_to_record(r) for r in rows]

    def cancel_requests(self) -> list[str]:
        rows = self._conn().execute(
            "SELECT id FROM jobs WHERE status IN ('QUEUED', 'RUNNING') AND cancel_requested = 1").fetchall()
        return [r[0] for r in rows]

    def payload(self, job_id: str) -> tuple[str, bytes]:
        row = self._conn().execute("SELECT format, data FROM payloads WHERE job_id = ?",
                                   (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no payload for job {job_id!r}")
        return row[0], bytes(row[1])

    def result(self, job_id: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT data FROM results WHERE job_id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def events(self, job_id: str) -> list[tuple[float, str, str | None]]:
        return [tuple(r) for r in self._conn().execute(
            "SELECT at, status, detail FROM events WHERE job_id = ? ORDER BY id", (job_id,))]

    def counts_by(self) -> list[tuple[str, str, int]]:
        """(backend, status, number of jobs) for metrics."""
        return [tuple(r) for r in self._conn().execute(
            "SELECT backend, status, COUNT(*) FROM jobs GROUP BY backend, status")]

    def integrity_check(self) -> str:
        return self._conn().execute("PRAGMA integrity_check").fetchone()[0]
