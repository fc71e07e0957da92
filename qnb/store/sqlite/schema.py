"""The SQLite store's schema: its migrations, one per version, and how a store is brought up
to date (``PRAGMA user_version`` holds the version; a migration runs under the write lock)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from ...models import StoreError

SCHEMA_VERSION = 9

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
    # Runners as leases (a random id, a heartbeat, an expiry), not pids or locks, so that
    # several can serve one store; the runner following each remote job; a progress phase.
    8: """
    CREATE TABLE runners (
        id          INTEGER PRIMARY KEY,
        host        TEXT NOT NULL,
        pid         INTEGER NOT NULL,
        workers     INTEGER NOT NULL,
        service     INTEGER NOT NULL DEFAULT 0,
        started_at  REAL NOT NULL,
        heartbeat   REAL NOT NULL,
        expires_at  REAL NOT NULL,
        running     INTEGER NOT NULL DEFAULT 0,
        following   INTEGER NOT NULL DEFAULT 0
    );
    ALTER TABLE jobs ADD COLUMN follower INTEGER;
    ALTER TABLE jobs ADD COLUMN phase TEXT;
    """,
    # Owners and budgets: who submitted each job (also in its ledger row), and what each
    # paid job reserved against its budgets, settled from the ledger when it ends. No
    # foreign key: what was spent stays counted after the job is pruned.
    9: """
    ALTER TABLE jobs ADD COLUMN owner TEXT;
    CREATE INDEX jobs_owner_seq ON jobs (owner, seq);
    ALTER TABLE usage ADD COLUMN owner TEXT;
    CREATE TABLE reservations (
        job_id             TEXT PRIMARY KEY,
        owner              TEXT NOT NULL,
        backend            TEXT NOT NULL,
        created_at         REAL NOT NULL,
        cost               REAL NOT NULL DEFAULT 0,
        qpu_seconds        REAL NOT NULL DEFAULT 0,
        settled_at         REAL,
        spent_cost         REAL,
        spent_qpu_seconds  REAL
    );
    CREATE INDEX reservations_owner ON reservations (owner, settled_at);
    """,
}


def statements(script: str) -> list[str]:
    """The SQL statements of a migration, whole (a trigger's body has semicolons of its own)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf)
            buf = ""
    return [st for st in (*out, buf) if st.strip()]



def migrate(conn: sqlite3.Connection, path: Path,
            write: Callable[[], AbstractContextManager[sqlite3.Connection]],
            explain: Callable[[sqlite3.Error, Path], StoreError]) -> None:
    """Bring the store at ``path`` (open on ``conn``) to ``SCHEMA_VERSION`` in WAL mode;
    ``StoreError`` for a newer schema than this qnb knows (the file is left as it was)."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise explain(exc, path) from exc
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"qnb job store {path} has schema version {version}, newer than this qnb "
            f"understands ({SCHEMA_VERSION}); upgrade qnb to open it (the file was not changed)"
        )
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.Error as exc:
        raise explain(exc, path) from exc
    if mode.lower() != "wal" and os.access(path.parent, os.W_OK):
        raise StoreError(f"qnb job store {path}: cannot switch to WAL mode ({mode})")
    if version == SCHEMA_VERSION:
        return
    with write() as c:
        version = c.execute("PRAGMA user_version").fetchone()[0]  # re-read under the lock
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in statements(MIGRATIONS[target]):
                c.execute(statement)
            c.execute(f"PRAGMA user_version = {target}")
