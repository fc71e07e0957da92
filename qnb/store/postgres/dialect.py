"""PostgreSQL's parts of the shared SQL (``qnb/store/sql/base.py``): sequence numbers from an
identity column, JSON fields, text search through trigram indexes, the ledger's groups and
the metrics' histograms, and claims that skip rows another transaction holds."""

from __future__ import annotations

from typing import Any

from ..sql.base import SQLBase


def like_pattern(text: str) -> str:
    """``%text%`` for ``ILIKE``, the text's own wildcards escaped (``\\`` is the escape)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class PostgresDialect(SQLBase):
    """How PostgreSQL says what the shared SQL leaves open."""

    LOCK_ROWS = " FOR UPDATE SKIP LOCKED"
    CLAIM_LOOKS_FIRST = False
    WITH_WRITES = True
    USAGE_ROW = "row_id"

    # drawn under the write lock, so numbers commit in order (see ``connection``)
    NEXT_SEQ = "nextval(pg_get_serial_sequence('jobs', 'seq'))"

    def _state_int(self, key: str) -> str:
        return f"(provider_state::jsonb->>'{key}')::bigint"

    def _search(self, text: str) -> tuple[str, list[Any]]:
        like = like_pattern(text)
        prefix = text.lower()
        return ("(j.name ILIKE ? OR j.backend ILIKE ? OR j.seq IN "
                "(SELECT seq FROM job_tags WHERE tag::text ILIKE ?) OR j.id LIKE ?)",
                [like, like, like, prefix.replace("\\", "\\\\").replace("%", "\\%")
                 .replace("_", "\\_") + "%"])

    def _usage_group(self, by: str) -> tuple[str, str]:
        key = {"backend": "u.backend", "status": "u.status", "tag": "t.value",
               "day": "to_char(to_timestamp(u.finished_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"}[by]
        return key, ("usage u, jsonb_array_elements_text(u.tags::jsonb) t(value)"
                     if by == "tag" else "usage u")

    def _histogram_sql(self, rows: str, queue_bounds: int, run_bounds: int) -> str:
        return ("SELECT backend, status, COUNT(*), COUNT(q), COALESCE(SUM(q), 0), "
                + ", ".join("COUNT(*) FILTER (WHERE q <= ?)" for _ in range(queue_bounds))
                + ", COUNT(r), COALESCE(SUM(r), 0), "
                + ", ".join("COUNT(*) FILTER (WHERE r <= ?)" for _ in range(run_bounds))
                + " FROM (SELECT j.backend AS backend, j.status AS status, "
                # NULL when the job never started (GREATEST alone would skip the NULL)
                "CASE WHEN j.started_at IS NOT NULL "
                "THEN GREATEST(j.started_at - j.created_at, 0) END AS q, "
                "CASE WHEN j.started_at IS NOT NULL AND j.finished_at IS NOT NULL "
                "THEN GREATEST(j.finished_at - j.started_at, 0) END AS r "
                f"FROM {rows}) AS finished GROUP BY backend, status")
