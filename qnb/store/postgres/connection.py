"""The PostgreSQL store's connections: one per thread (and process), in autocommit for
reads; write transactions that take one advisory lock, so that sequence numbers and event
ids commit in the order they were drawn (the metrics and the change feed read "rows after
N"); read snapshots; and what a database error means for the user, named by the store's URL
without its password."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.types.numeric import NumericLoader

from ...models import StoreError
from ..contract import Topics
from ..sql.base import Cursor, SQLBase
from .listen import Listener
from .schema import CHANNELS, SCHEMA_VERSION, WRITE_LOCK, migrate

CONNECT_TIMEOUT = 10  # seconds before an unreachable server is reported


def redact(url: str) -> str:
    """``url`` as it may be shown: user, host, port and database, never a password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(a URL that cannot be parsed)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = parts.get("host") or ""
    port = f":{parts['port']}" if parts.get("port") else ""
    if host.startswith("/"):  # a Unix socket's folder
        return f"postgresql://{user}/{parts.get('dbname', '')}?host={host}"
    return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}"


def _scrub(text: str, url: str) -> str:
    """An error's text with the URL's password, if any, taken out."""
    with suppress(psycopg.ProgrammingError):
        password = conninfo_to_dict(url).get("password")
        if password:
            text = text.replace(str(password), "***")
    return text


class _Number(NumericLoader):
    """``numeric`` (what SUM of integers gives) as an int when whole, else a float: the
    values the SQLite store gives, which JSON and the CLI print alike."""

    def load(self, data: Any) -> Any:
        value = super().load(data)
        return int(value) if value == value.to_integral_value() else float(value)


class _Pending:
    """A statement sent in pipeline mode: its rows are read when asked for (psycopg waits
    for them then); its ``rowcount`` first waits for every statement sent before it."""

    def __init__(self, cur: psycopg.Cursor, pipeline: psycopg.Pipeline) -> None:
        self._cur = cur
        self._pipeline = pipeline

    @property
    def rowcount(self) -> int:
        self._pipeline.sync()
        return self._cur.rowcount

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cur.fetchall())


class Conn:
    """A psycopg connection that takes the shared SQL's ``?`` placeholders."""

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw
        self.notes: list[str] = []  # what to NOTIFY when the write transaction commits
        self.pipeline: psycopg.Pipeline | None = None  # during a write transaction

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        cur = self.raw.execute(self._sql(sql), tuple(params))
        if self.pipeline is not None:
            return _Pending(cur, self.pipeline)
        return cur  # type: ignore[return-value]

    def executemany(self, sql: str, params: Any) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(self._sql(sql), [tuple(p) for p in params])


class Connections(SQLBase):
    """One PostgreSQL database, shared by every runner, server and kernel that names it."""

    def __init__(self, url: str, home: Path) -> None:
        self._url = url
        self._home = Path(home)
        self.where = redact(url)
        self._local = threading.local()
        try:
            migrate(self._conn().raw, self.where)
        except psycopg.Error as exc:
            raise self._explain(exc, "cannot prepare its schema") from exc

    shared = True

    @property
    def home(self) -> Path:
        return self._home

    def listen(self, callback: Any, topic: Topics = "submit") -> Listener:
        if callable(topic):  # its names are checked each time it is asked (``Listener``)
            return Listener(self._url, self.where, topic, callback)
        topics = (topic,) if isinstance(topic, str) else tuple(topic)
        unknown = sorted(set(topics) - set(CHANNELS))
        if unknown:
            raise ValueError(f"cannot listen to {', '.join(map(repr, unknown))}: the topics "
                             f"are {', '.join(map(repr, CHANNELS))}")
        return Listener(self._url, self.where, lambda: topics, callback)

    @property
    def url(self) -> str:
        return self.where

    def identity(self) -> tuple[Any, ...]:
        row = self._conn().execute(
            "SELECT system_identifier FROM pg_control_system()").fetchone()
        return ("postgresql", row[0], self._conn().raw.info.dbname)

    def _explain(self, exc: BaseException, doing: str) -> StoreError:
        text = _scrub(" ".join(str(exc).split()), self._url)
        if isinstance(exc, psycopg.OperationalError) and "connect" in doing:
            return StoreError(f"qnb job store {self.where}: cannot connect: {text}; check "
                              "QNB_STORE (or [store] url) and that the server is running")
        return StoreError(f"qnb job store {self.where}: {doing}: {text}; nothing was saved")

    # -- connections and transactions -------------------------------------------------
    def _conn(self) -> Conn:
        conn: Conn | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid() or conn.raw.closed:
            try:
                raw = psycopg.connect(self._url, autocommit=True,
                                      connect_timeout=CONNECT_TIMEOUT,
                                      application_name="qnb")
            except psycopg.Error as exc:
                raise self._explain(exc, "cannot connect") from exc
            raw.adapters.register_loader("numeric", _Number)
            conn = Conn(raw)
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.raw.close()
        self._local.conn = None

    @contextmanager
    def _write(self, *, counted: bool = True, ordered: bool = True) -> Iterator[Conn]:
        """One short write transaction: rolled back whole on any error. An ``ordered`` one
        (it adds or ends a job) comes after the ordered ones before it (an advisory lock
        held to its end), so that job numbers and final events commit in the order they
        were drawn; the others (claims, progress, notes) run beside them. A connection lost
        midway is reported, and the next call connects afresh; nothing of the transaction
        was written."""
        conn = self._conn()
        raw = conn.raw
        # In pipeline mode: statements go to the server without waiting for each answer,
        # so a transaction costs a trip to the server only where its SQL reads an answer
        # (a row, a row count) and one at the end: a job's insert or end is two trips, not
        # six or seven. The lock is held from BEGIN to COMMIT, as before.
        conn.notes = []
        try:
            with raw.pipeline() as conn.pipeline:
                raw.execute("BEGIN")
                first = ([f"pg_advisory_xact_lock({WRITE_LOCK})"] if ordered else []) + (
                    ["nextval('qnb_changes')"] if counted else [])
                if first:  # one statement for both: each costs the server and psycopg
                    raw.execute(f"SELECT {', '.join(first)}")
                yield conn
                for note in conn.notes:  # delivered only if the transaction commits
                    channel = CHANNELS[note.partition(" ")[0]]
                    raw.execute("SELECT pg_notify(%s, %s)", (channel, note))
                raw.execute("COMMIT")
        except BaseException as exc:
            with suppress(psycopg.Error):  # failed, or left by an error: undone whole
                if not raw.closed and raw.info.transaction_status != TransactionStatus.IDLE:
                    raw.execute("ROLLBACK")
            if not isinstance(exc, psycopg.Error):
                raise
            if raw.closed or isinstance(exc, psycopg.OperationalError):
                self.close()
            raise self._explain(exc, "cannot write") from exc
        finally:
            conn.pipeline = None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: every read of this thread inside sees the same state."""
        conn = self._conn()
        with conn.raw.transaction():
            conn.raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield None

    def _announce(self, c: Any, what: str) -> None:
        """``NOTIFY`` on the channel of ``what``'s kind (``schema.CHANNELS``), sent with the
        transaction's ``COMMIT`` (so delivered only if it commits)."""
        c.notes.append(what)

    def _read_failed(self, exc: Exception) -> None:
        if isinstance(exc, psycopg.Error):
            if isinstance(exc, psycopg.OperationalError):
                self.close()
            raise self._explain(exc, "cannot read") from exc

    @property
    def schema_version(self) -> int:
        return self._conn().execute("SELECT MAX(version) FROM qnb_schema").fetchone()[0]

    @property
    def schema_target(self) -> int:
        return SCHEMA_VERSION
