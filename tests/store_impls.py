"""The store implementations the contract suite runs on. A new store passes by being added
here: a name, how to open a fresh, empty one, how to open a second handle on the same one
(another process would), and how to damage it the way that store can be damaged."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pg_server import shared_server

from qnb.store import JobStore, SQLiteStore, open_store


@dataclass
class Impl:
    name: str
    #: a fresh, empty store for one test (``home`` is its QNB_HOME)
    make: Callable[[Path], JobStore]
    #: a new handle on the same store (what another process opens)
    reopen: Callable[[JobStore], JobStore]
    #: damage the store; opening it afterwards must be refused with a message naming it
    damage: Callable[[JobStore], str]
    #: whether ``qnb.store.make_backup`` copies it (a file store); else the database's tools
    file_backups: bool


def _sqlite_damage(store: JobStore) -> str:
    """Overwrite the middle of the file, as a failing disk would; what the refusal names."""
    assert isinstance(store, SQLiteStore)
    store.close()
    path = store.path
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(0)
        fh.write(b"\x00" * min(size, 4096 * 2))
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)
    return str(path)


def _pg_make(home: Path) -> JobStore:
    return open_store(home, url=shared_server().fresh_database())


def _pg_damage(store: JobStore) -> str:
    """Drop the jobs table, as a wrong migration or a careless admin would."""
    store._conn().execute("DROP TABLE jobs CASCADE")  # type: ignore[attr-defined]
    return store.url


IMPLS: list[Impl] = [
    Impl("sqlite", make=lambda home: SQLiteStore.in_home(home),
         reopen=lambda store: SQLiteStore(store.path),  # type: ignore[attr-defined]
         damage=_sqlite_damage, file_backups=True),
    Impl("postgresql", make=_pg_make,
         reopen=lambda store: open_store(store.home, url=store.url),
         damage=_pg_damage, file_backups=False),
]


def impl_names() -> list[str]:
    only = os.environ.get("QNB_TEST_STORES")  # e.g. "sqlite" to run one
    return [i.name for i in IMPLS if not only or i.name in only.split(",")]


def impl(name: str) -> Impl:
    return next(i for i in IMPLS if i.name == name)
