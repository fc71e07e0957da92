"""``PostgresStore``: the job store in a PostgreSQL database that several users, runners
and machines share (``QNB_STORE=postgresql://...``).

It runs the same SQL as the SQLite store (``qnb/store/sql/``) with PostgreSQL's own words
for the rest (``dialect``): claims lock their row with ``FOR UPDATE SKIP LOCKED``, sequence
numbers come from an identity column, names are searched through ``pg_trgm``, and a queued
or ended job is announced with ``NOTIFY`` (``schema.CHANNELS``: submits, ends).
"""

from __future__ import annotations

from ..sql.budgets import Budgets
from ..sql.claims import Claims
from ..sql.ledger import Ledger
from ..sql.prune import Pruning
from ..sql.reads import Reads
from ..sql.runners import Runners
from ..sql.sessions import Sessions
from ..sql.transitions import Transitions
from .connection import Connections
from .dialect import PostgresDialect
from .maintenance import Maintenance


class PostgresStore(Claims, Transitions, Reads, Ledger, Sessions, Runners, Budgets, Pruning,
                    Maintenance, PostgresDialect, Connections):
    """Thread-safe access to one shared store; connections are per thread."""
