"""SQLite's parts of the shared SQL (``qnb/store/sql/base.py``): sequence numbers, JSON
fields, the trigram name index (FTS5), the ledger's sums and the metrics' histograms."""

from __future__ import annotations

from typing import Any

from ..sql.base import SQLBase


def _values_containing(table: str, column: str) -> str:
    """SQL for the distinct values of an indexed column that contain a search's text (one
    ``?``): walked through the index one seek per value, not a read of every row."""
    return (f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x) FROM v "
            "WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x LIKE ? ESCAPE '\\'")


# A search's backends and tags: the jobs whose backend, or one of whose tags, contains it.
_BY_BACKEND = f"SELECT seq FROM jobs WHERE backend IN ({_values_containing('jobs', 'backend')})"
_BY_TAG = f"SELECT seq FROM job_tags WHERE tag IN ({_values_containing('job_tags', 'tag')})"


def like_pattern(text: str) -> str:
    """``%text%`` for ``LIKE ... ESCAPE '\\'``, the text's own wildcards escaped."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SQLiteDialect(SQLBase):
    """How SQLite says what the shared SQL leaves open."""

    # CROSS JOIN: SQLite's way to keep the tag's rows first (its planner never reorders it)
    TAG_JOIN = "job_tags t CROSS JOIN jobs j ON j.seq = t.seq"

    # the write lock (BEGIN IMMEDIATE) is held: no other insert can take the same number
    NEXT_SEQ = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs)"

    def _state_int(self, key: str) -> str:
        return f"json_extract(provider_state, '$.{key}')"

    def _search(self, text: str) -> tuple[str, list[Any]]:
        like = like_pattern(text)
        if len(text) >= 3:  # the trigram index; shorter text has no trigram to look up
            names = "SELECT rowid FROM job_names WHERE job_names MATCH ?"
            args: list[Any] = ['"' + text.replace('"', '""') + '"']
        else:
            names = "SELECT seq FROM jobs WHERE name LIKE ? ESCAPE '\\'"
            args = [like]
        prefix = text.lower()
        return (f"j.seq IN ({names} UNION {_BY_BACKEND} UNION {_BY_TAG} "
                "UNION SELECT seq FROM jobs WHERE id >= ? AND id < ?)",
                [*args, like, like, prefix, prefix + "\U0010ffff"])

    def _usage_group(self, by: str) -> tuple[str, str]:
        key = {"backend": "u.backend", "status": "u.status", "tag": "t.value",
               "day": "date(u.finished_at, 'unixepoch')"}[by]
        return key, ("usage u, json_each(u.tags) t" if by == "tag" else "usage u")

    def _histogram_sql(self, rows: str, queue_bounds: int, run_bounds: int) -> str:
        return ("SELECT backend, status, COUNT(*), COUNT(q), TOTAL(q), "
                + ", ".join("SUM(q <= ?)" for _ in range(queue_bounds))
                + ", COUNT(r), TOTAL(r), " + ", ".join("SUM(r <= ?)" for _ in range(run_bounds))
                + " FROM (SELECT j.backend AS backend, j.status AS status, "
                "MAX(j.started_at - j.created_at, 0) AS q, "
                "MAX(j.finished_at - j.started_at, 0) AS r "
                f"FROM {rows}) GROUP BY backend, status")
