"""The job store: one SQLite file (WAL) under ``QNB_HOME``, the single source of truth and the queue.

Every process (kernels, runner, server, command line) opens it. This module is the only
place a job's status changes: each change is a named method below, one short
``BEGIN IMMEDIATE`` transaction guarded by ``TRANSITIONS``, so writers never hold the file
for long, no job is ever half-written and a late result never overwrites a cancel.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .files import NETWORK_FILESYSTEMS, filesystem_type, open_private, private_dir
from .ledger import service_usage
from .models import (
    JobNotFound,
    JobRecord,
    JobStatus,
    StoreCorrupt,
    StoreError,
    check_tags,
    validate_job_id,
)

SCHEMA_VERSION = 7
STORE_FILE = "jobs.sqlite"
#: beside a store found damaged: every process refuses the store until it is recovered
CORRUPT_MARK = "jobs.sqlite.corrupt"
_DAMAGE = ("malformed", "not a database", "file is encrypted", "database corruption")

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
    # The hand-over to a remote service becomes its own flag (it was a provider_status
    # text), and a provider's per-job state (a mitigation plan) lives with the job.
    2: """
    ALTER TABLE jobs ADD COLUMN submitting INTEGER NOT NULL DEFAULT 0;
    UPDATE jobs SET submitting = 1 WHERE provider_status = 'submitting';
    ALTER TABLE jobs ADD COLUMN provider_state TEXT NOT NULL DEFAULT '{}';
    """,
    # Qiskit primitive jobs (Sampler / Estimator PUBs), and sessions that group jobs.
    3: """
    ALTER TABLE jobs ADD COLUMN primitive TEXT;
    ALTER TABLE jobs ADD COLUMN session TEXT;
    CREATE INDEX jobs_session_seq ON jobs (session, seq);
    CREATE TABLE sessions (
        id          TEXT PRIMARY KEY,
        backend     TEXT NOT NULL,
        mode        TEXT NOT NULL,
        max_time    REAL,
        created_at  REAL NOT NULL,
        closed_at   REAL,
        remote_id   TEXT
    );
    """,
    # Runs lost because the job's own worker died, told apart from runs a stopped runner lost.
    4: """
    ALTER TABLE jobs ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
    """,
    # Tags: read with the job from its own column, found by tag through job_tags (one row
    # per job and tag, indexed by tag without regard to case); a time index for "since".
    5: """
    ALTER TABLE jobs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE job_tags (
        tag     TEXT NOT NULL COLLATE NOCASE,
        seq     INTEGER NOT NULL,
        job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        PRIMARY KEY (tag, seq)
    ) WITHOUT ROWID;
    CREATE INDEX job_tags_job ON job_tags (job_id);
    CREATE INDEX jobs_created ON jobs (created_at);
    """,
    # Search by part of a name through a trigram index (rowid = seq), kept by triggers: a
    # LIKE '%...%' read every row (a second at a million jobs). Contentless: names stay in
    # jobs, the index holds only trigrams.
    6: """
    CREATE VIRTUAL TABLE job_names USING fts5(name, content='', tokenize='trigram');
    INSERT INTO job_names (rowid, name) SELECT seq, name FROM jobs WHERE name IS NOT NULL;
    CREATE TRIGGER job_names_insert AFTER INSERT ON jobs WHEN new.name IS NOT NULL BEGIN
        INSERT INTO job_names (rowid, name) VALUES (new.seq, new.name);
    END;
    CREATE TRIGGER job_names_delete AFTER DELETE ON jobs WHEN old.name IS NOT NULL BEGIN
        INSERT INTO job_names (job_names, rowid, name) VALUES ('delete', old.seq, old.name);
    END;
    CREATE TRIGGER job_names_update AFTER UPDATE OF name ON jobs BEGIN
        INSERT INTO job_names (job_names, rowid, name)
            SELECT 'delete', old.seq, old.name WHERE old.name IS NOT NULL;
        INSERT INTO job_names (rowid, name) SELECT new.seq, new.name WHERE new.name IS NOT NULL;
    END;
    """,
    # The usage ledger: one row per finished job, written with its final status. No foreign
    # key: what was used stays accounted for after the job is pruned. Jobs that ended before
    # the ledger existed are entered from their own rows. And a running job's progress and ETA.
    7: """
    CREATE TABLE usage (
        job_id         TEXT PRIMARY KEY,
        backend        TEXT NOT NULL,
        provider       TEXT NOT NULL,
        status         TEXT NOT NULL,
        finished_at    REAL NOT NULL,
        shots          INTEGER NOT NULL,
        circuits       INTEGER NOT NULL,
        queue_seconds  REAL,
        run_seconds    REAL NOT NULL DEFAULT 0,
        qpu_seconds    REAL,
        cost_estimate  REAL,
        tags           TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX usage_finished ON usage (finished_at);
    ALTER TABLE jobs ADD COLUMN progress_done INTEGER;
    ALTER TABLE jobs ADD COLUMN progress_total INTEGER;
    ALTER TABLE jobs ADD COLUMN estimated_end REAL;
    INSERT INTO usage (job_id, backend, provider, status, finished_at, shots, circuits,
                       queue_seconds, run_seconds, tags)
        SELECT id, backend, provider, status, finished_at, shots, num_circuits,
               COALESCE(started_at, finished_at) - created_at,
               COALESCE(finished_at - started_at, 0), tags
        FROM jobs WHERE status IN ('DONE', 'ERROR', 'CANCELLED') AND finished_at IS NOT NULL;
    """,
}

#: A job's ledger row, from its own row as it ends (``?``: its id). Queue time is from
#: submission until it started (or ended, if it never started); run time until it ended.
_LEDGER_ENTRY = """
    INSERT OR REPLACE INTO usage (job_id, backend, provider, status, finished_at, shots,
                                  circuits, queue_seconds, run_seconds, tags)
    SELECT id, backend, provider, status, COALESCE(finished_at, updated_at), shots,
           num_circuits, COALESCE(started_at, finished_at) - created_at,
           COALESCE(finished_at - started_at, 0), tags
    FROM jobs WHERE id = ?
"""


def _enter_usage(c: sqlite3.Connection, job_id: str, result: dict[str, Any] | None) -> None:
    """A finished job's ledger row, with what its result says it used at the service."""
    c.execute(_LEDGER_ENTRY, (job_id,))
    _enter_service_usage(c, job_id, result)


def _enter_service_usage(c: sqlite3.Connection, job_id: str,
                         result: dict[str, Any] | None) -> None:
    """QPU seconds and estimated cost, where the job's result metadata reports them."""
    used = service_usage((result or {}).get("metadata"))
    if used:
        c.execute("UPDATE usage SET qpu_seconds = ?, cost_estimate = ? WHERE job_id = ?",
                  (used.get("qpu_seconds"), used.get("cost_estimate"), job_id))


def _statements(script: str) -> list[str]:
    """The SQL statements of a migration, whole (a trigger's body has semicolons of its own)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf)
            buf = ""
    return [st for st in (*out, buf) if st.strip()]

#: The status machine: the moves each status allows. Final statuses allow none. Callers
#: may narrow a move to fewer starting statuses (``only_from``), never widen it.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    # DONE straight from QUEUED: a remote job that finished between two polls
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR,
                                 JobStatus.CANCELLED}),
    # QUEUED again: local work lost with a stopped runner, run once more
    JobStatus.RUNNING: frozenset({JobStatus.QUEUED, JobStatus.DONE, JobStatus.ERROR,
                                  JobStatus.CANCELLED}),
}


def _values_containing(table: str, column: str) -> str:
    """SQL for the distinct values of an indexed column that contain a search's text (one
    ``?``): walked through the index one seek per value, not a read of every row."""
    return (f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x) FROM v "
            "WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x LIKE ? ESCAPE '\\'")


# A search's backends and tags: the jobs whose backend, or one of whose tags, contains it.
_BY_BACKEND = f"SELECT seq FROM jobs WHERE backend IN ({_values_containing('jobs', 'backend')})"
_BY_TAG = f"SELECT seq FROM job_tags WHERE tag IN ({_values_containing('job_tags', 'tag')})"

# The columns of ``jobs`` are the fields of ``JobRecord``; these say how each is stored.
_FIELDS = tuple(f.name for f in dataclasses.fields(JobRecord))
_JSON_FIELDS = frozenset({"summary", "options", "provider_state"})
_LIST_FIELDS = frozenset({"tags"})
_BOOL_FIELDS = frozenset({"cancel_requested", "submitting"})
_COLUMNS = ", ".join(_FIELDS)
_J_COLUMNS = ", ".join(f"j.{f}" for f in _FIELDS)  # of ``jobs j``, beside other tables


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def _to_column(name: str, value: Any) -> Any:
    if name in _LIST_FIELDS:  # kept readable, so that a search finds any tag's text
        return json.dumps(list(value or []), ensure_ascii=False)
    if name in _JSON_FIELDS:
        return json.dumps(value or {})
    if name in _BOOL_FIELDS:
        return int(bool(value))
    if name == "status":
        return str(value)
    return value


def _to_record(row: sqlite3.Row | tuple) -> JobRecord:
    values = {}
    for name, value in zip(_FIELDS, row, strict=True):
        if name in _JSON_FIELDS or name in _LIST_FIELDS:
            value = json.loads(value)
        elif name in _BOOL_FIELDS:
            value = bool(value)
        elif name == "status":
            value = JobStatus(value)
        values[name] = value
    return JobRecord(**values)


def _mark(path: Path) -> Path:
    """The corruption mark of the store file ``path`` (``CORRUPT_MARK`` for jobs.sqlite)."""
    return path.with_name(path.name + ".corrupt")


def corrupt_message(path: Path, detail: str) -> str:
    return (f"qnb job store {path} is damaged ({detail}); nothing more is written to it. "
            "Run 'qnb doctor --recover' to build a new store from what can still be read "
            "(the damaged file is kept beside it)")


def mark_corrupt(path: Path, detail: str) -> StoreCorrupt:
    """Remember that the store at ``path`` is damaged (for every process), and say so."""
    from .files import write_private

    detail = " ".join(detail.split())[:300]  # one line
    with suppress(OSError):
        write_private(_mark(path), detail + "\n")
    return StoreCorrupt(corrupt_message(path, detail))


def _explain(exc: sqlite3.Error, path: Path) -> StoreError:
    msg = str(exc)
    if any(word in msg for word in _DAMAGE):
        return mark_corrupt(path, f"SQLite: {msg}")
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
        fs = filesystem_type(self.path.parent)
        if fs.lower() in NETWORK_FILESYSTEMS:
            raise StoreError(
                f"qnb job store {self.path} is on a network filesystem ({fs}): SQLite's WAL "
                "mode and the runner's flock lock are unsafe there (another host's writes or "
                "runner can go unseen); set QNB_HOME to a folder on a local disk, e.g. "
                "QNB_HOME=/tmp/$USER/qnb or a node-local scratch folder")
        mark = _mark(self.path)
        if mark.exists():
            raise StoreCorrupt(corrupt_message(self.path, mark.read_text().strip() or "marked"))
        if not self.path.exists() and self.path.parent.is_dir():
            # created private: SQLite gives its -wal and -shm files the database's mode
            with suppress(OSError):
                os.close(open_private(self.path, os.O_WRONLY | os.O_CREAT))
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

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query inside sees the same state of the file."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _migrate(self) -> None:
        conn = self._conn()
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise _explain(exc, self.path) from exc
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
                for statement in _statements(MIGRATIONS[target]):
                    c.execute(statement)
                c.execute(f"PRAGMA user_version = {target}")

    @property
    def schema_version(self) -> int:
        return self._conn().execute("PRAGMA user_version").fetchone()[0]

    # -- the status machine ---------------------------------------------------------------
    @staticmethod
    def _move(c: sqlite3.Connection, job_id: str, to: JobStatus, *,
              only_from: Iterable[JobStatus] | None = None, where: str = "",
              sets: dict[str, Any] | None = None, detail: str | None = None) -> bool:
        """Move one job to ``to`` inside the caller's transaction, if ``TRANSITIONS`` (narrowed
        to ``only_from``) allows it from the job's status; False, changing nothing, if not.
        A move to the same status records nothing and only updates ``sets``."""
        allowed = {s for s, targets in TRANSITIONS.items() if to in targets}
        if only_from is not None:
            allowed &= {JobStatus(s) for s in only_from}
        if not allowed:
            return False
        now = time.time()
        changes: dict[str, Any] = {"status": str(to), "updated_at": now}
        if to is JobStatus.RUNNING:
            changes["started_at"] = now
        elif to.is_final:
            changes["finished_at"] = now
        changes.update(sets or {})
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise ValueError(f"not job fields: {sorted(unknown)}")
        assignments = ", ".join(f"{k} = ?" for k in changes)
        marks = ", ".join("?" * len(allowed))
        cur = c.execute(
            f"UPDATE jobs SET {assignments} WHERE id = ? AND status IN ({marks}) {where}",
            (*(_to_column(k, v) for k, v in changes.items()), job_id, *map(str, allowed)))
        if cur.rowcount == 0:
            return False
        c.execute("INSERT INTO events (job_id, at, status, detail) VALUES (?, ?, ?, ?)",
                  (job_id, now, str(to), detail))
        if to.is_final:
            c.execute(_LEDGER_ENTRY, (job_id,))
        return True

    def add_job(self, record: JobRecord, payload_format: str, payload: bytes) -> JobRecord:
        """Write a new QUEUED job and its payload in one transaction."""
        if record.status is not JobStatus.QUEUED:
            raise ValueError(f"a new job is QUEUED, not {record.status}")
        return self._insert(record, payload_format, payload)

    def import_job(self, record: JobRecord, payload_format: str, payload: bytes,
                   result: dict[str, Any] | None = None) -> JobRecord:
        """Write a job as it already is, in any status (a recovered store, an import, test
        data), with its result; its history starts at that status."""
        return self._insert(record, payload_format, payload, result)

    def _insert(self, record: JobRecord, payload_format: str, payload: bytes,
                result: dict[str, Any] | None = None) -> JobRecord:
        record.tags = check_tags(record.tags)
        now = time.time()
        record.updated_at = now
        with self._write() as c:
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
            c.execute(
                f"INSERT INTO jobs ({_COLUMNS}, seq) VALUES ({', '.join('?' * (len(_FIELDS) + 1))})",
                (*(_to_column(f, getattr(record, f)) for f in _FIELDS), seq))
            c.execute("INSERT INTO payloads (job_id, format, data) VALUES (?, ?, ?)",
                      (record.id, payload_format, payload))
            c.executemany("INSERT INTO job_tags (tag, seq, job_id) VALUES (?, ?, ?)",
                          [(tag, seq, record.id) for tag in record.tags])
            if result is not None:
                c.execute("INSERT INTO results (job_id, data) VALUES (?, ?)",
                          (record.id, json.dumps(result)))
            c.execute("INSERT INTO events (job_id, at, status) VALUES (?, ?, ?)",
                      (record.id, now, str(record.status)))
            if record.status.is_final:
                _enter_usage(c, record.id, result)
        return record

    def claim(self, job_id: str) -> JobRecord | None:
        """QUEUED -> RUNNING for a local worker about to run it; None if it was cancelled
        meanwhile (or is no longer queued)."""
        with self._write() as c:
            attempts = c.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if attempts is None or not self._move(
                    c, job_id, JobStatus.RUNNING, only_from=[JobStatus.QUEUED],
                    where="AND cancel_requested = 0 AND submitting = 0 AND remote_id IS NULL",
                    sets={"attempts": attempts[0] + 1,
                          "provider_status": "running on a local worker"}):
                return None
        return self.get(job_id)

    def claim_next(self, runs_here: Callable[[str], bool], worker: int,
                   runner: int, *, window: int = 16) -> JobRecord | None:
        """QUEUED -> RUNNING for worker process ``worker`` of runner ``runner``: the oldest
        waiting job whose provider ``runs_here``, in one transaction, so that two workers
        never claim the same job. The row keeps who holds it (``held_by``). None if none
        waits. The head of the queue (``window`` jobs) is read first; only past a run of
        jobs of other providers are the waiting providers looked up."""
        head = (f"SELECT id, attempts, provider FROM jobs WHERE {self._WAITING} "
                "ORDER BY seq LIMIT ?")
        rows = self._conn().execute(head, (window,)).fetchall()
        if len(rows) < window and not any(runs_here(r[2]) for r in rows):
            return None  # nothing to claim: an idle worker's look takes no write lock
        with self._write() as c:
            rows = c.execute(head, (window,)).fetchall()
            pick = next((r for r in rows if runs_here(r[2])), None)
            if pick is None and len(rows) == window:
                names = [r[0] for r in c.execute(
                    f"SELECT DISTINCT provider FROM jobs WHERE {self._WAITING}") if runs_here(r[0])]
                if names:
                    pick = c.execute(
                        f"SELECT id, attempts, provider FROM jobs WHERE {self._WAITING} AND "
                        f"provider IN ({', '.join('?' * len(names))}) ORDER BY seq LIMIT 1",
                        names).fetchone()
            if pick is None or not self._move(
                    c, pick[0], JobStatus.RUNNING, only_from=[JobStatus.QUEUED],
                    sets={"attempts": pick[1] + 1,
                          "provider_status": "running on a local worker",
                          "provider_state": {"worker": worker, "runner": runner}}):
                return None
        return self.get(pick[0])

    def held_by(self, worker: int, runner: int) -> list[tuple[str, bool]]:
        """(id, cancel requested) of the RUNNING jobs worker ``worker`` of runner ``runner``
        claimed (``claim_next``): normally one or none."""
        return [(r[0], bool(r[1])) for r in self._conn().execute(
            "SELECT id, cancel_requested FROM jobs WHERE status = 'RUNNING' "
            "AND json_extract(provider_state, '$.worker') = ? "
            "AND json_extract(provider_state, '$.runner') = ?", (worker, runner))]

    def count_held(self, runner: int) -> int:
        """RUNNING jobs the workers of runner ``runner`` hold."""
        return self._conn().execute(
            "SELECT COUNT(*) FROM jobs WHERE status = 'RUNNING' "
            "AND json_extract(provider_state, '$.runner') = ?", (runner,)).fetchone()[0]

    def ended_after(self, row: int) -> tuple[int, int]:
        """(jobs that ended after usage ledger row ``row``, the newest row): a count kept
        up to date without reading the whole ledger (every job that ends gets a row)."""
        count, newest = self._conn().execute(
            "SELECT COUNT(*), MAX(rowid) FROM usage WHERE rowid > ?", (row,)).fetchone()
        return count, newest if newest is not None else row

    def holder(self, job_id: str) -> tuple[int, int] | None:
        """(worker, runner) holding a RUNNING local job, or None."""
        row = self._conn().execute(
            "SELECT json_extract(provider_state, '$.worker'), "
            "json_extract(provider_state, '$.runner') FROM jobs "
            "WHERE id = ? AND status = 'RUNNING'", (job_id,)).fetchone()
        return (row[0], row[1]) if row is not None and row[0] is not None else None

    def busy(self) -> bool:
        """Whether any job waits or runs (QUEUED or RUNNING), by the status index."""
        return self._conn().execute(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE status IN ('QUEUED', 'RUNNING'))"
        ).fetchone()[0] == 1

    def begin_submit(self, job_id: str) -> bool:
        """Mark a QUEUED job as being handed to its remote service. From here until
        ``attach_remote``, nobody can tell whether the service has it: a runner that stops
        in between leaves the job to ``recover`` (ERROR), never to a second submission."""
        with self._write() as c:
            cur = c.execute(
                "UPDATE jobs SET submitting = 1, provider_status = 'submitting', updated_at = ? "
                "WHERE id = ? AND status = 'QUEUED' AND submitting = 0 AND remote_id IS NULL "
                "AND cancel_requested = 0", (time.time(), job_id))
            return cur.rowcount == 1

    def attach_remote(self, job_id: str, remote_id: str,
                      provider_state: dict[str, Any] | None = None) -> None:
        """The service accepted the job: keep its remote id (and the provider's state for
        it), so that any later runner can follow it."""
        with self._write() as c:
            c.execute(
                "UPDATE jobs SET submitting = 0, remote_id = ?, provider_state = ?, "
                "provider_status = 'submitted', updated_at = ? WHERE id = ?",
                (remote_id, json.dumps(provider_state or {}), time.time(), job_id))

    def set_remote_state(self, job_id: str, status: JobStatus, provider_status: str, *,
                         queue_position: int | None = None,
                         estimated_start: float | None = None) -> bool:
        """What a poll of a remote job said, while it is not finished: QUEUED <-> RUNNING at
        the service, its own status word, its queue position and estimated start."""
        status = JobStatus(status)
        if status.is_final:
            raise ValueError("a finished remote job ends through finish()")
        info = {"provider_status": provider_status, "queue_position": queue_position,
                "estimated_start": estimated_start}
        with self._write() as c:
            row = c.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or JobStatus(row[0]).is_final:
                return False
            if row[0] != str(status):
                return self._move(c, job_id, status, only_from=[JobStatus(row[0])],
                                  sets=info, detail=provider_status)
            self._set(c, job_id, info)
            return True

    def worker_died(self, job_id: str, reason: str, *, limit: int) -> JobStatus | None:
        """The worker running a job died (segfault, out of memory): counted against the job.
        RUNNING -> QUEUED to run once more while it has crashed fewer than ``limit`` times,
        else -> ERROR saying so. The status it moved to, or None if it was not running."""
        with self._write() as c:
            row = c.execute("SELECT crashes FROM jobs WHERE id = ? AND status = 'RUNNING'",
                            (job_id,)).fetchone()
            if row is None:
                return None
            crashes = row[0] + 1
            if crashes < limit:
                note = f"re-queued: {reason}"
                self._move(c, job_id, JobStatus.QUEUED, only_from=[JobStatus.RUNNING],
                           sets={"crashes": crashes, "provider_status": note,
                                 "started_at": None, "progress_done": None,
                                 "progress_total": None, "estimated_end": None},
                           detail=note)
                return JobStatus.QUEUED
            times = "once" if crashes == 1 else f"{crashes} times"
            error = f"{reason}; it crashed its worker {times}, so it is not run again"
            self._move(c, job_id, JobStatus.ERROR, only_from=[JobStatus.RUNNING],
                       sets={"crashes": crashes, "error": error, "provider_status": "error"},
                       detail=error)
            return JobStatus.ERROR

    def requeue(self, job_id: str, reason: str) -> bool:
        """RUNNING -> QUEUED: local work lost with a stopped runner, to be run again."""
        with self._write() as c:
            return self._move(c, job_id, JobStatus.QUEUED, only_from=[JobStatus.RUNNING],
                              sets={"provider_status": reason, "started_at": None,
                                    "progress_done": None, "progress_total": None,
                                    "estimated_end": None},
                              detail=reason)

    def typical_run(self, rec: JobRecord, *, sample: int = 200) -> float | None:
        """Seconds a run of ``rec`` should take, from the DONE jobs of its backend among the
        last ``sample`` that were of its size: the same qubits, depth within half again,
        shots within a factor of two. The median time per circuit of at least three such
        runs, times its circuits; None without enough of them."""
        qubits, depth = rec.summary.get("num_qubits"), rec.summary.get("depth")
        if not isinstance(qubits, int) or not isinstance(depth, int):
            return None
        rows = self._conn().execute(
            "SELECT summary, shots, num_circuits, finished_at - started_at FROM jobs "
            "WHERE status = 'DONE' AND backend = ? AND started_at IS NOT NULL AND id != ? "
            "ORDER BY seq DESC LIMIT ?", (rec.backend, rec.id, sample)).fetchall()
        per_circuit = []
        for summary, shots, circuits, seconds in rows:
            other = json.loads(summary or "{}")
            their_depth = other.get("depth")
            if (other.get("num_qubits") == qubits and isinstance(their_depth, int)
                    and depth / 1.5 <= their_depth <= depth * 1.5
                    and rec.shots / 2 <= shots <= rec.shots * 2 and seconds is not None):
                per_circuit.append(seconds / max(circuits, 1))
        if len(per_circuit) < 3:
            return None
        per_circuit.sort()
        return per_circuit[len(per_circuit) // 2] * max(rec.num_circuits, 1)

    def estimate_end(self, job_id: str, seconds: float) -> bool:
        """A running job should end ``seconds`` after it started; False if it is not running."""
        with self._write() as c:
            return c.execute("UPDATE jobs SET estimated_end = started_at + ? "
                             "WHERE id = ? AND status = 'RUNNING'",
                             (float(seconds), job_id)).rowcount == 1

    def progress(self, job_id: str, done: int, total: int) -> bool:
        """A running job has run ``done`` of its ``total`` circuits (not a status change: no
        event). False if it is not running."""
        with self._write() as c:
            return c.execute("UPDATE jobs SET progress_done = ?, progress_total = ?, "
                             "updated_at = ? WHERE id = ? AND status = 'RUNNING'",
                             (int(done), int(total), time.time(), job_id)).rowcount == 1

    def finish(self, job_id: str, status: JobStatus, *, error: str | None = None,
               result: dict[str, Any] | None = None, provider_status: str | None = None,
               only_from: Iterable[JobStatus] | None = None) -> bool:
        """End a job DONE (with its result), ERROR or CANCELLED (with the reason).

        False, changing nothing, when the job has already ended (a late result after a
        cancel) or is not in one of ``only_from``.
        """
        status = JobStatus(status)
        if not status.is_final:
            raise ValueError(f"{status} is not a final status")
        sets: dict[str, Any] = {"submitting": False,
                                "provider_status": provider_status or str(status).lower()}
        if error is not None:
            sets["error"] = error
        with self._write() as c:
            if not self._move(c, job_id, status, only_from=only_from, sets=sets,
                              detail=error or provider_status):
                return False
            if result is not None:
                c.execute("INSERT OR REPLACE INTO results (job_id, data) VALUES (?, ?)",
                          (job_id, json.dumps(result)))
                _enter_service_usage(c, job_id, result)
        return True

    def request_cancel(self, job_id: str) -> JobStatus:
        """Cancel a queued job at once, or ask the runner to stop a running one (or one
        handed to a service).

        Returns the status after the call. Raises ``JobNotFound``; a finished job is returned
        unchanged (the caller decides whether that is a conflict).
        """
        validate_job_id(job_id)
        with self._write() as c:
            row = c.execute("SELECT status, remote_id, submitting FROM jobs WHERE id = ?",
                            (job_id,)).fetchone()
            if row is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            status = JobStatus(row[0])
            held_remotely = row[1] is not None or bool(row[2])
            if status is JobStatus.QUEUED and not held_remotely and self._move(
                    c, job_id, JobStatus.CANCELLED, only_from=[JobStatus.QUEUED],
                    sets={"cancel_requested": True, "error": "cancelled before it started",
                          "provider_status": "cancelled"},
                    detail="cancelled while queued"):
                return JobStatus.CANCELLED
            if not status.is_final:
                self._set(c, job_id, {"cancel_requested": True})
            return status

    # -- sessions ---------------------------------------------------------------------------
    def add_session(self, session_id: str, backend: str, mode: str, max_time: float | None,
                    created_at: float) -> None:
        with self._write() as c:
            c.execute("INSERT INTO sessions (id, backend, mode, max_time, created_at) "
                      "VALUES (?, ?, ?, ?, ?)", (session_id, backend, mode, max_time, created_at))

    def close_session(self, session_id: str) -> None:
        with self._write() as c:
            c.execute("UPDATE sessions SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                      (time.time(), session_id))

    def set_session_remote(self, session_id: str, remote_id: str | None) -> None:
        with self._write() as c:
            c.execute("UPDATE sessions SET remote_id = ? WHERE id = ?", (remote_id, session_id))

    def session_info(self, session_id: str) -> dict[str, Any] | None:
        row = self._conn().execute(
            "SELECT id, backend, mode, max_time, created_at, closed_at, remote_id FROM sessions "
            "WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return None
        keys = ("id", "backend", "mode", "max_time", "created_at", "closed_at", "remote_id")
        return dict(zip(keys, row, strict=True))

    def session_pending(self, session_id: str) -> int:
        """Jobs of the session not yet handed to a service (queued, no remote id)."""
        return self._conn().execute(
            "SELECT COUNT(*) FROM jobs WHERE session = ? AND status = 'QUEUED' AND "
            "remote_id IS NULL", (session_id,)).fetchone()[0]

    # -- information that is not a status -------------------------------------------------
    @staticmethod
    def _set(c: sqlite3.Connection, job_id: str, values: dict[str, Any]) -> None:
        values = {**values, "updated_at": time.time()}
        assignments = ", ".join(f"{k} = ?" for k in values)
        c.execute(f"UPDATE jobs SET {assignments} WHERE id = ?",
                  (*(_to_column(k, v) for k, v in values.items()), job_id))

    def note(self, job_id: str, provider_status: str, *, history: bool = False) -> None:
        """Show what the runner is doing with a job (retrying, fetching the result); with
        ``history``, also record it in the job's events."""
        with self._write() as c:
            self._set(c, job_id, {"provider_status": provider_status})
            if history:
                c.execute("INSERT INTO events (job_id, at, status, detail) SELECT id, ?, status, "
                          "provider_status FROM jobs WHERE id = ?", (time.time(), job_id))

    def retag(self, job_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = (),
              replace: Iterable[str] | None = None) -> list[str]:
        """Change a job's tags, in any status, and return them: ``replace`` them all, or
        ``add`` some and ``remove`` others (without regard to case). One transaction that
        never touches the status; invalid tags (``TagError``) or an unknown job
        (``JobNotFound``) change nothing."""
        validate_job_id(job_id)
        added = check_tags(list(add))
        dropped = {t.strip().casefold() for t in remove if isinstance(t, str)}
        with self._write() as c:
            row = c.execute("SELECT tags, seq FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            tags = check_tags(list(replace)) if replace is not None else json.loads(row[0])
            tags = [t for t in tags if t.casefold() not in dropped]
            have = {t.casefold() for t in tags}
            tags = check_tags(tags + [t for t in added if t.casefold() not in have])
            self._set(c, job_id, {"tags": tags})
            c.execute("UPDATE usage SET tags = ? WHERE job_id = ?",
                      (_to_column("tags", tags), job_id))
            c.execute("DELETE FROM job_tags WHERE job_id = ?", (job_id,))
            c.executemany("INSERT OR IGNORE INTO job_tags (tag, seq, job_id) VALUES (?, ?, ?)",
                          [(tag, row[1], job_id) for tag in tags])
        return tags

    # -- reading ------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRecord:
        validate_job_id(job_id)
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return _to_record(row)

    def get_many(self, job_ids: Iterable[str]) -> dict[str, JobRecord]:
        ids = list(job_ids)
        if not ids:
            return {}
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE id IN ({', '.join('?' * len(ids))})", ids).fetchall()
        return {r[0]: _to_record(r) for r in rows}

    @staticmethod
    def _filters(status: str | Iterable[str] | None = None, backend: str | None = None,
                 session: str | None = None, tag: str | Iterable[str] | None = None,
                 search: str | None = None, since: float | None = None,
                 before: float | None = None) -> tuple[str, str, list[Any], str]:
        """What ``list`` and ``scan`` read for these filters, every one of which must hold:
        (the FROM source, its WHERE clause, the arguments, the ``seq`` column to order by).

        ``tag`` (one or several, all required) and ``search`` ignore case; ``search`` matches
        part of the name, the backend or a tag, or the start of the id; ``since`` /
        ``before`` bound the creation time (POSIX seconds). With a tag, the query starts
        from that tag's rows of ``job_tags`` (its index is in ``seq`` order), so a page of
        a tag's jobs costs the same in a store of a million."""
        where, args = [], []
        tags = [t.strip() for t in ([tag] if isinstance(tag, str) else list(tag or []))
                if t and t.strip()]
        source, order = "jobs j", "j.seq"
        if tags:
            source, order = "job_tags t CROSS JOIN jobs j ON j.seq = t.seq", "t.seq"  # t first
            where.append("t.tag = ?")
            args.append(tags[0])
        for one in tags[1:]:
            where.append("j.seq IN (SELECT seq FROM job_tags WHERE tag = ?)")
            args.append(one)
        if session:
            where.append("j.session = ?")
            args.append(session)
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"j.status IN ({', '.join('?' * len(statuses))})")
            args += [str(JobStatus(s)) for s in statuses]
        if backend:
            where.append("j.backend = ?")
            args.append(backend)
        if search and search.strip():
            text = search.strip()
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            if len(text) >= 3:  # the trigram index; shorter text has no trigram to look up
                names = "SELECT rowid FROM job_names WHERE job_names MATCH ?"
                args.append('"' + text.replace('"', '""') + '"')
            else:
                names = "SELECT seq FROM jobs WHERE name LIKE ? ESCAPE '\\'"
                args.append(like)
            prefix = text.lower()
            where.append(f"j.seq IN ({names} UNION {_BY_BACKEND} UNION {_BY_TAG} "
                         "UNION SELECT seq FROM jobs WHERE id >= ? AND id < ?)")
            args += [like, like, prefix, prefix + "\U0010ffff"]
        if since is not None:
            where.append("j.created_at >= ?")
            args.append(float(since))
        if before is not None:
            where.append("j.created_at < ?")
            args.append(float(before))
        return source, (f"WHERE {' AND '.join(where)}" if where else ""), args, order

    def list(self, *, status: str | Iterable[str] | None = None, backend: str | None = None,
             session: str | None = None, tag: str | Iterable[str] | None = None,
             search: str | None = None, since: float | None = None, limit: int = 50,
             offset: int = 0, newest_first: bool = True) -> tuple[list[JobRecord], int]:
        """A page of jobs and the total that match the filters (see ``_filters``)."""
        source, clause, args, order = self._filters(status, backend, session, tag, search,
                                                    since)
        # one tag and nothing else: its rows of job_tags alone say how many
        counted = ("job_tags t " + clause if clause == "WHERE t.tag = ?"
                   else f"{source} {clause}")
        direction = "DESC" if newest_first else "ASC"
        with self.snapshot() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM {counted}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT {_J_COLUMNS} FROM {source} {clause} ORDER BY {order} {direction} "
                "LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return [_to_record(r) for r in rows], total

    def scan(self, *, batch: int = 500, with_results: bool = False,
             **filters: Any) -> Iterator[tuple[JobRecord, dict[str, Any] | None]]:
        """Every job matching ``filters`` (those of ``list``), oldest first, with its result
        when ``with_results`` (None otherwise, or when it has none). Read in batches of
        short transactions, so an export of a million jobs neither holds the store nor
        memory."""
        source, clause, args, order = self._filters(**filters)
        joiner = "AND" if clause else "WHERE"
        after = 0
        while True:
            rows = self._conn().execute(
                f"SELECT {order}, {_J_COLUMNS} FROM {source} {clause} {joiner} {order} > ? "
                f"ORDER BY {order} LIMIT ?", (*args, after, batch)).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            results: dict[str, Any] = {}
            if with_results:
                ids = [r[1] for r in rows]
                results = {job_id: json.loads(data) for job_id, data in self._conn().execute(
                    f"SELECT job_id, data FROM results WHERE job_id IN "
                    f"({', '.join('?' * len(ids))})", ids)}
            for row in rows:
                yield _to_record(row[1:]), results.get(row[1])

    _WAITING = ("status = 'QUEUED' AND cancel_requested = 0 AND remote_id IS NULL "
                "AND submitting = 0")

    def queued(self, limit: int = 100,
               providers: Iterable[str] | None = None) -> list[JobRecord]:
        """The oldest queued jobs not yet handed to anyone, skipping ones whose cancel is
        pending; only those of ``providers`` (names) when given."""
        names = None if providers is None else list(providers)
        only = "" if names is None else f"AND provider IN ({', '.join('?' * len(names))}) "
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE {self._WAITING} {only}ORDER BY seq LIMIT ?",
            (*(names or []), limit)).fetchall()
        return [_to_record(r) for r in rows]

    def queued_providers(self) -> list[str]:
        """The providers of the jobs ``queued`` would give, without decoding any record: what
        a dispatcher needs to read only the jobs it can start."""
        return [r[0] for r in self._conn().execute(
            f"SELECT DISTINCT provider FROM jobs WHERE {self._WAITING}")]

    def count_queued(self) -> int:
        """How many jobs wait (QUEUED), by the status index."""
        return self._conn().execute("SELECT COUNT(*) FROM jobs WHERE status = 'QUEUED'").fetchone()[0]

    def unfinished(self) -> list[JobRecord]:
        """Every QUEUED or RUNNING job, oldest first: what a starting runner looks at."""
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE status IN ('QUEUED', 'RUNNING') ORDER BY seq"
        ).fetchall()
        return [_to_record(r) for r in rows]

    def running(self) -> list[JobRecord]:
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE status = 'RUNNING' ORDER BY seq").fetchall()
        return [_to_record(r) for r in rows]

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

    # -- aggregates for metrics (call inside one ``snapshot``) ----------------------------
    def high_water(self) -> tuple[int, int]:
        """The newest job's ``seq`` and the newest event's id (0 for none)."""
        conn = self._conn()
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()[0]
        event = conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        return seq, event

    def submitted_between(self, after_seq: int, upto_seq: int) -> list[tuple[str, int]]:
        """(backend, jobs) written with ``after_seq < seq <= upto_seq``."""
        return [tuple(r) for r in self._conn().execute(
            "SELECT backend, COUNT(*) FROM jobs WHERE seq > ? AND seq <= ? GROUP BY backend",
            (after_seq, upto_seq))]

    def finished_histograms(self, after_event: int | None, upto_event: int,
                            queue_bounds: tuple[float, ...], run_bounds: tuple[float, ...]
                            ) -> list[tuple]:
        """Per backend and final status, of jobs that ended after event ``after_event``
        (every finished job when None): jobs, then count, sum and cumulative bucket counts
        of queue seconds (created -> started), then the same of run seconds (started ->
        finished). Jobs cancelled before they started count in neither histogram."""
        final = ", ".join(f"'{s}'" for s in sorted(s.value for s in JobStatus if s.is_final))
        if after_event is None:
            rows, args = f"jobs j WHERE j.status IN ({final})", ()
        else:
            rows = (f"events e JOIN jobs j ON j.id = e.job_id WHERE e.id > ? AND e.id <= ? "
                    f"AND e.status IN ({final})")
            args = (after_event, upto_event)
        sql = ("SELECT backend, status, COUNT(*), COUNT(q), TOTAL(q), "
               + ", ".join("SUM(q <= ?)" for _ in queue_bounds)
               + ", COUNT(r), TOTAL(r), " + ", ".join("SUM(r <= ?)" for _ in run_bounds)
               + " FROM (SELECT j.backend AS backend, j.status AS status, "
               "MAX(j.started_at - j.created_at, 0) AS q, MAX(j.finished_at - j.started_at, 0) AS r "
               f"FROM {rows}) GROUP BY backend, status")
        return [tuple(r) for r in self._conn().execute(sql, (*queue_bounds, *run_bounds, *args))]

    def active_counts(self) -> dict[tuple[str, str], int]:
        """(backend, status) -> jobs QUEUED or RUNNING now."""
        return {(b, s): n for b, s, n in self._conn().execute(
            "SELECT backend, status, COUNT(*) FROM jobs WHERE status IN ('QUEUED', 'RUNNING') "
            "GROUP BY backend, status")}

    # -- the usage ledger --------------------------------------------------------------------
    def usage(self, by: str = "backend", since: float | None = None) -> list[dict[str, Any]]:
        """The ledger added up per backend, day (UTC), tag or status, for jobs that finished
        since ``since`` (POSIX seconds): jobs, shots, circuits, queue, run and QPU seconds,
        and the estimated cost. QPU seconds and cost are None where no job reported any. A
        job counts once per tag it has; jobs without tags are not in a ``tag`` summary."""
        from .ledger import COLUMNS, check_group

        key = {"backend": "u.backend", "status": "u.status", "tag": "t.value",
               "day": "date(u.finished_at, 'unixepoch')"}[check_group(by)]
        source = "usage u, json_each(u.tags) t" if by == "tag" else "usage u"
        where, args = ("WHERE u.finished_at >= ?", [since]) if since is not None else ("", [])
        rows = self._conn().execute(
            f"SELECT {key}, COUNT(*), SUM(u.shots), SUM(u.circuits), SUM(u.queue_seconds), "
            f"SUM(u.run_seconds), SUM(u.qpu_seconds), SUM(u.cost_estimate) FROM {source} "
            f"{where} GROUP BY 1 ORDER BY 1", args).fetchall()
        return [dict(zip(COLUMNS, row, strict=True)) for row in rows]

    # -- keeping the store bounded ----------------------------------------------------------
    def prune(self, *, before: float, statuses: Iterable[str] | None = None,
              dry_run: bool = False, batch: int = 2000, at_most: int | None = None) -> int:
        """Delete finished jobs (DONE, ERROR, CANCELLED: never a queued or running one)
        created before ``before``, only those with one of ``statuses`` when given, with their
        payloads, results, events and tags; how many. In short transactions of ``batch``
        jobs, so other processes keep working; no more than ``at_most`` when given.
        ``reclaim`` gives the space back."""
        final = {str(s) for s in JobStatus if s.is_final}
        chosen = final if statuses is None else {str(JobStatus(s)) for s in statuses}
        if chosen - final:
            raise ValueError(f"only finished jobs can be pruned, not {sorted(chosen - final)}")
        marks = ", ".join("?" * len(chosen))
        where = f"status IN ({marks}) AND created_at < ?"
        args = (*sorted(chosen), before)
        if dry_run:
            return self._conn().execute(f"SELECT COUNT(*) FROM jobs WHERE {where}",
                                        args).fetchone()[0]
        removed = 0
        while True:
            if at_most is not None:
                batch = min(batch, at_most - removed)
                if batch <= 0:
                    return removed
            with self._write() as c:
                ids = [r[0] for r in c.execute(f"SELECT id FROM jobs WHERE {where} LIMIT ?",
                                               (*args, batch))]
                if ids:  # payloads, results, events and tags go with them (ON DELETE CASCADE)
                    c.execute(f"DELETE FROM jobs WHERE id IN ({', '.join('?' * len(ids))}) "
                              f"AND {where}", (*ids, *args))
            removed += len(ids)
            if len(ids) < batch:
                return removed

    def reclaim(self) -> int:
        """Give the space of deleted rows back to the disk (``VACUUM``, then an emptied
        write-ahead log); how many bytes the store shrank by."""
        before = self.disk_bytes()
        conn = self._conn()
        try:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from exc
        return max(before - self.disk_bytes(), 0)

    def disk_bytes(self) -> int:
        """The store's size on disk, its write-ahead log included."""
        return sum(p.stat().st_size for p in (self.path, self.path.with_name(self.path.name + "-wal"))
                   if p.exists())

    def backup(self, dest: Path) -> Path:
        """A consistent copy of the store at ``dest`` (private), made with SQLite's online
        backup API while others keep using the store."""
        private_dir(dest.parent)
        os.close(open_private(dest, os.O_WRONLY | os.O_CREAT))
        target = sqlite3.connect(dest)
        try:
            self._conn().backup(target)
        finally:
            target.close()
        return dest

    def integrity_check(self) -> str:
        return self._conn().execute("PRAGMA integrity_check").fetchone()[0]

    def change_counter(self) -> int:
        """A number that changes whenever another connection has written to the store
        (SQLite's ``PRAGMA data_version``: no table is read). Compare values read from one
        thread only: each thread has its own connection, and so its own counter."""
        return self._conn().execute("PRAGMA data_version").fetchone()[0]

    def quick_check(self) -> str:
        """SQLite's ``PRAGMA quick_check``: "ok", or what is wrong. A damaged store is marked
        so (``StoreCorrupt`` from then on, in every process)."""
        try:
            rows = [r[0] for r in self._conn().execute("PRAGMA quick_check(20)")]
        except sqlite3.DatabaseError as exc:
            rows = [str(exc)]
        verdict = "ok" if rows == ["ok"] else "; ".join(rows)
        if verdict != "ok":
            mark_corrupt(self.path, f"quick_check: {verdict[:300]}")
        return verdict


def _guarded(method: Any) -> Any:
    """A store method whose SQLite errors that mean damage mark the store corrupt."""
    import functools

    @functools.wraps(method)
    def call(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if any(word in str(exc) for word in _DAMAGE):
                raise mark_corrupt(self.path, f"SQLite: {exc}") from exc
            raise

    return call


for _name in ("get", "get_many", "list", "queued", "count_queued", "unfinished", "running", "cancel_requests",
              "payload", "result", "events", "high_water", "submitted_between",
              "finished_histograms", "active_counts", "session_info", "session_pending"):
    setattr(Store, _name, _guarded(getattr(Store, _name)))


def set_aside(db: Path, suffix: str) -> Path:
    """Rename the store file ``db`` (and its -wal and -shm files) to ``<db>.<suffix>-<time>``,
    so that a new store can take its place; where it went."""
    aside = db.with_name(f"{db.name}.{suffix}-{time.strftime('%Y%m%d-%H%M%S')}")
    db.replace(aside)
    for side in ("-wal", "-shm"):
        if db.with_name(db.name + side).exists():
            db.with_name(db.name + side).replace(aside.with_name(aside.name + side))
    return aside


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


def get_store(home: Path | None = None) -> Store:
    """The store of ``home`` (default ``QNB_HOME``), opened once per process."""
    from .config import qnb_home

    path = (home or qnb_home()).resolve()
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = Store.open(path)
        return store


def forget_store(home: Path) -> None:
    """Close and drop this process's handle on the store of ``home`` (tests, a deleted home)."""
    with _stores_lock:
        store = _stores.pop(Path(home).resolve(), None)
    if store is not None:
        store.close()
