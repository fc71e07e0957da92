"""``SQLiteStore``: the job store as one SQLite file (WAL) under ``QNB_HOME``, the default.

Its parts are split by concern, each a class of its own over one set of connections: the
status moves (``transitions``), the queue's claims (``claims``), reads and search
(``reads``), the ledger and metrics aggregates (``ledger``), sessions (``sessions``) and
upkeep (``maintenance``). Together they are the ``JobStore`` contract
(``qnb/store/contract.py``).
"""

from __future__ import annotations

from pathlib import Path

from .claims import Claims
from .connection import STORE_FILE
from .ledger import Ledger
from .maintenance import Maintenance
from .reads import Reads
from .sessions import Sessions
from .transitions import Transitions


class SQLiteStore(Transitions, Claims, Reads, Ledger, Sessions, Maintenance):
    """Thread-safe access to one job store file. Cheap to create; connections are per thread."""

    @classmethod
    def in_home(cls, home: Path) -> SQLiteStore:
        """The store of a ``QNB_HOME``: its ``jobs.sqlite``."""
        return cls(Path(home) / STORE_FILE)
