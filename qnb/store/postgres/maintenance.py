"""Keeping the PostgreSQL store sound: space given back (``VACUUM``), its size, checks that
its schema is whole, and the change counter the sidebar's feed polls. Backups are the
database's own (``pg_dump``), not qnb's."""

from __future__ import annotations

import psycopg

from .connection import Connections
from .schema import CHANGES, SCHEMA_VERSION

_TABLES = ("jobs", "payloads", "results", "events", "sessions", "job_tags", "usage")


class Maintenance(Connections):
    """Reclaim, measure, check."""

    def reclaim(self) -> int:
        """``VACUUM FULL`` the store's tables (each is locked while it is rewritten: an
        administrator's step, after a prune); how many bytes the database shrank by."""
        before = self.disk_bytes()
        for table in _TABLES:
            self._conn().execute(f"VACUUM FULL {table}")
        return max(before - self.disk_bytes(), 0)

    def disk_bytes(self) -> int:
        """The size of the store's tables and indexes."""
        return int(self._conn().execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            f"WHERE c.relname IN ({', '.join('?' * len(_TABLES))}) AND c.relkind = 'r'",
            _TABLES).fetchone()[0])

    def quick_check(self) -> str:
        """"ok" when every table of this schema version is there, else what is missing."""
        try:
            found = {r[0] for r in self._conn().execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
            version = self.schema_version
        except psycopg.Error as exc:
            return f"cannot read the store: {exc}"
        missing = sorted(set(_TABLES) - found)
        if missing:
            return f"tables missing: {', '.join(missing)}"
        if version != SCHEMA_VERSION:
            return f"schema version {version}, expected {SCHEMA_VERSION}"
        return "ok"

    def integrity_check(self) -> str:
        """The schema's check, and every job's payload and first event present."""
        verdict = self.quick_check()
        if verdict != "ok":
            return verdict
        orphans = self._conn().execute(
            "SELECT COUNT(*) FROM jobs j WHERE NOT EXISTS "
            "(SELECT 1 FROM payloads p WHERE p.job_id = j.id)").fetchone()[0]
        return "ok" if orphans == 0 else f"{orphans} job(s) without a payload"

    def change_counter(self) -> int:
        """A number that changes whenever anyone has written to the store."""
        return int(self._conn().execute(
            f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {CHANGES}").fetchone()[0])
