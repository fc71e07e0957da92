"""The job store: the queue and the single source of truth for jobs, behind one contract.

- ``contract.py``: ``JobStore``, every operation the rest of qnb uses;
- ``transitions.py``: the status machine (where a status may change, and how);
- ``records.py``: a job's fields as a database keeps them;
- ``sql/``: the operations every SQL store shares, split by concern (``transitions``,
  ``claims``, ``reads``, ``ledger``, ``sessions``, ``prune``), over the few dialect parts
  each database fills in (``sql/base.py``);
- ``sqlite/``: the default store, one SQLite file in ``QNB_HOME`` (its connections,
  dialect, schema, upkeep, backups and recovery);
- ``postgres/``: a store that a team shares on PostgreSQL (its connections, dialect,
  schema and upkeep).

``open_store`` / ``get_store`` choose the store: ``QNB_STORE`` (or ``[store] url`` in
``config.toml``) when set, else the SQLite file of ``QNB_HOME``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..config import qnb_home, store_url
from ..files import resolved
from ..models import StoreError
from ..waiters import stop_following_ends
from .contract import JobStore
from .records import new_job_id
from .sqlite import backups as sqlite_backups
from .sqlite.connection import CORRUPT_MARK, STORE_FILE, corrupt_message, set_aside
from .sqlite.recovery import salvage
from .sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from .sqlite.store import SQLiteStore
from .transitions import TRANSITIONS

DEFAULT_BACKUPS = sqlite_backups.DEFAULT_KEEP

#: ``Store(path)`` opens an SQLite store file directly (tests, recovery, backups)
Store = SQLiteStore

__all__ = [
    "CORRUPT_MARK",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STORE_FILE",
    "TRANSITIONS",
    "JobStore",
    "SQLiteStore",
    "Store",
    "backup_due",
    "corrupt_message",
    "forget_store",
    "get_store",
    "make_backup",
    "new_job_id",
    "open_store",
    "restore",
    "salvage",
    "set_aside",
]


def open_store(home: Path | None = None, url: str | None = None) -> JobStore:
    """A new handle on the store of ``home`` (default ``QNB_HOME``): the one ``url`` names,
    else the configured one (``QNB_STORE``, ``[store] url``), else ``home``'s SQLite file."""
    home = Path(home or qnb_home())
    url = url or store_url(home)
    if not url:
        return SQLiteStore.in_home(home)
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        return SQLiteStore(Path(url.split("://", 1)[-1]))
    if scheme in ("postgresql", "postgres"):
        # imported here: psycopg stays off the start-up path of a kernel on SQLite
        from .postgres.store import PostgresStore

        return PostgresStore(url, home)
    raise StoreError(f"qnb job store {_without_password(url)}: the scheme {scheme!r} is not one "
                     "qnb knows (sqlite, postgresql); check QNB_STORE or [store] url in "
                     f"{home / 'config.toml'}")


def _without_password(url: str) -> str:
    """``url`` as an error may show it: any password taken out."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:  # no credentials; or not a URL: hide what may be one
        return url if "@" not in url else f"{parts.scheme}:(hidden)@{url.rsplit('@', 1)[-1]}"
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}@{host}"))


_stores: dict[Path, JobStore] = {}
_stores_lock = threading.Lock()


def get_store(home: Path | None = None) -> JobStore:
    """The store of ``home`` (default ``QNB_HOME``), opened once per process."""
    path = resolved(home or qnb_home())
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = open_store(path)
        return store


def forget_store(home: Path) -> None:
    """Close and drop this process's handle on the store of ``home`` (tests, a deleted home,
    a restored or recovered store)."""
    with _stores_lock:
        store = _stores.pop(Path(home).resolve(), None)
    if store is not None:
        stop_following_ends(home)
        store.close()


def make_backup(store: JobStore, keep: int = DEFAULT_BACKUPS) -> Path | None:
    """An online backup of ``store`` in its home's ``backups/``, keeping the newest ``keep``;
    None for a store that is not a file of this machine (back up PostgreSQL with
    ``pg_dump``)."""
    if not isinstance(store, SQLiteStore):
        return None
    return sqlite_backups.make_backup(store, store.home, keep=keep)


def backup_due(store: JobStore, every: float = sqlite_backups.DAY) -> bool:
    """Whether ``make_backup`` should run: the newest backup is older than ``every``
    seconds, or there is none (never, for a store ``make_backup`` does not copy)."""
    return isinstance(store, SQLiteStore) and sqlite_backups.due(store.home, every)


def restore(home: Path, source: Path) -> str:
    """Put the backup ``source`` back as the SQLite store of ``home`` (checked first; the
    store it replaces is kept beside it). No runner may serve it meanwhile: the caller
    checks. A line saying what was done."""
    forget_store(home)
    try:
        return sqlite_backups.restore(home, source)
    finally:
        forget_store(home)
