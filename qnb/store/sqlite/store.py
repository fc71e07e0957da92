"""``SQLiteStore``: the job store as one SQLite file (WAL) under ``QNB_HOME``, the default.

Its parts are split by concern: the SQL it shares with PostgreSQL (``qnb/store/sql/``:
status moves, claims, reads and search, the ledger, sessions, pruning), SQLite's own words
for the rest (``dialect``), its file and connections (``connection``), schema, upkeep,
backups and recovery. Together they are the ``JobStore`` contract
(``qnb/store/contract.py``).
"""

from __future__ import annotations

from pathlib import Path

from ..sql.budgets import Budgets
from ..sql.claims import Claims
from ..sql.ledger import Ledger
from ..sql.prune import Pruning
from ..sql.reads import Reads
from ..sql.runners import Runners
from ..sql.sessions import Sessions
from ..sql.transitions import Transitions
from .connection import STORE_FILE, Connections
from .dialect import SQLiteDialect
from .maintenance import Maintenance


class SQLiteStore(Claims, Transitions, Reads, Ledger, Sessions, Runners, Budgets, Pruning,
                  Maintenance, SQLiteDialect, Connections):
    """Thread-safe access to one job store file. Cheap to create; connections are per thread."""

    @classmethod
    def in_home(cls, home: Path) -> SQLiteStore:
        """The store of a ``QNB_HOME``: its ``jobs.sqlite``."""
        return cls(Path(home) / STORE_FILE)
