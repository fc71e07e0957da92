"""What the SQL stores share: the operations written once in SQL that SQLite and PostgreSQL
both run (``?`` placeholders; the PostgreSQL connection turns them into its own), and the
few dialect parts each store fills in. The concerns are split into ``transitions``,
``claims``, ``reads``, ``ledger`` and ``sessions``; each dialect adds its connections,
schema and upkeep (``qnb/store/sqlite/``, ``qnb/store/postgres/``)."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..contract import Topics


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the shared SQL uses of a connection: ``execute`` with ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Cursor: ...
    def executemany(self, sql: str, params: Any) -> Any: ...


F = TypeVar("F", bound=Callable[..., Any])


def guarded(method: F) -> F:
    """A read whose database errors go through the store's ``_read_failed`` first (SQLite
    marks a damaged file there, so that every process refuses it)."""

    @functools.wraps(method)
    def call(self: SQLBase, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            self._read_failed(exc)
            raise

    return call  # type: ignore[return-value]


class SQLBase(ABC):
    """The connections and dialect parts every SQL store provides: the abstract ones are
    written by each store (``sqlite/``, ``postgres/``); a store missing one cannot be made."""

    #: how the claiming read locks the row it picks (PostgreSQL: skip rows others hold)
    LOCK_ROWS = ""
    #: whether a claim first looks for a waiting job outside any transaction: SQLite's
    #: write transactions lock the whole file, so an idle worker's look must not take one;
    #: PostgreSQL's lock rows only, and the look would be one more trip to the server
    CLAIM_LOOKS_FIRST = True
    #: whether a WITH may hold INSERT, UPDATE and DELETE (PostgreSQL; not SQLite): then a
    #: job's insert, and each move of its status, is one statement with what goes with it
    #: (its payload, its events, its ledger row), each statement costing client and server
    WITH_WRITES = False
    #: the usage ledger's row number, in order of entry
    USAGE_ROW = "rowid"
    #: a tag's jobs, read from the tag's rows first (they are in ``seq`` order)
    TAG_JOIN = "job_tags t JOIN jobs j ON j.seq = t.seq"
    #: whether runners on other machines (or homes) may serve this store beside one
    #: another; a store that is a file of one home has one runner, the home's lock holder
    shared = False

    def listen(self, callback: Callable[[str], None], topic: Topics = "submit") -> Any:
        """Call ``callback("submit <provider>")`` when a job is queued (``topic="submit"``)
        or ``callback("end <id>")`` when one ends (``topic="end"``), or for several topics
        (``contract.Topics``), from a thread, for writes made anywhere; an object with
        ``stop()``, or None where processes of one machine wake each other
        (``qnb/waiters.py``) instead."""
        return None

    @property
    @abstractmethod
    def home(self) -> Path:
        """The local ``QNB_HOME`` this handle serves."""

    @abstractmethod
    def _conn(self) -> Connection:
        """This thread's connection, outside any transaction (reads in autocommit)."""

    @abstractmethod
    def _write(self, *, counted: bool = True,
               ordered: bool = True) -> AbstractContextManager[Connection]:
        """One short write transaction; rolled back whole on any error, which comes out as a
        ``StoreError`` saying nothing was saved. Not ``counted``: a write the change counter
        need not tell of (a runner's heartbeat). Not ``ordered``: one that neither adds a
        job nor ends one, so that readers of "rows after N" (the metrics, the runner's count
        of ended jobs) need not see it in the order of its numbers; a store whose writers
        all wait for one another anyway (SQLite) treats both alike."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """One read transaction: every read of this thread inside sees one state."""

    def _announce(self, c: Connection, what: str) -> None:
        """Tell other processes, when the transaction on ``c`` commits, that a job waits
        ("submit <provider>" for a new job, "submit" for one queued again) or has ended
        ("end <id>"); stores whose processes share a machine wake each other through
        ``qnb/waiters.py`` instead, and do nothing here."""
        return

    def _read_failed(self, exc: Exception) -> None:
        """A read failed with ``exc``: raise a clearer error if there is one to give (by
        default there is none: the error goes on as it is)."""
        return

    # -- dialect parts of the shared SQL ------------------------------------------------
    @property
    @abstractmethod
    def NEXT_SEQ(self) -> str:
        """SQL for the next job's sequence number, in the inserting statement (each dialect
        sets it as a class attribute)."""

    @abstractmethod
    def _state_int(self, key: str) -> str:
        """SQL for the integer ``key`` of a job's ``provider_state`` (a JSON object)."""

    @abstractmethod
    def _search(self, text: str) -> tuple[str, list[Any]]:
        """A condition on ``j`` (``jobs j``) for a text search: part of the name, the
        backend or a tag, or the start of the id, without regard to case."""

    @abstractmethod
    def _usage_group(self, by: str) -> tuple[str, str]:
        """(the SQL of the group key, the FROM source) for ``usage(by=...)``; ``by`` is one
        of backend, status, tag, day."""

    @abstractmethod
    def _histogram_sql(self, rows: str, queue_bounds: int, run_bounds: int) -> str:
        """The ``finished_histograms`` query over the jobs of ``rows`` (a FROM ... WHERE)."""
