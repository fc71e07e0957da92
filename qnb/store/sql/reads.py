"""Reading the SQLite store: one job, many, a filtered page (status, backend, session, tags,
text search through a trigram index, creation time), a batched scan for exports, and a job's
payload, result and history."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from ...models import JobNotFound, JobRecord, JobStatus, validate_job_id
from ..records import COLUMNS, J_COLUMNS, to_record
from .base import SQLBase, guarded

_kept = threading.local()  # this thread's last claimed payload: (store, job id, format, data)


def keep_payload(store: object, job_id: str, fmt: str | None, data: Any) -> None:
    """Keep the payload a claim read with its job for this thread's next ``payload(job_id)``
    (``kept_payload``), as the worker that claimed it reads it next: one trip to the
    server less. A job's payload never changes once written."""
    if fmt is not None:
        _kept.item = (id(store), job_id, fmt, bytes(data))


def kept_payload(store: object, job_id: str) -> tuple[str, bytes] | None:
    """The payload of ``job_id`` this thread's last claim kept (``keep_payload``), taken."""
    kept = getattr(_kept, "item", None)
    if kept is None or kept[:2] != (id(store), job_id):
        return None
    del _kept.item
    return kept[2], kept[3]


class Reads(SQLBase):
    """Jobs as they are."""

    # -- reading ------------------------------------------------------------------------
    @guarded
    def get(self, job_id: str) -> JobRecord:
        validate_job_id(job_id)
        row = self._conn().execute(f"SELECT {COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return to_record(row)

    @guarded
    def get_many(self, job_ids: Iterable[str]) -> dict[str, JobRecord]:
        ids = list(job_ids)
        if not ids:
            return {}
        rows = self._conn().execute(
            f"SELECT {COLUMNS} FROM jobs WHERE id IN ({', '.join('?' * len(ids))})", ids).fetchall()
        return {r[0]: to_record(r) for r in rows}

    def _filters(self, status: str | Iterable[str] | None = None, backend: str | None = None,
                 session: str | None = None, tag: str | Iterable[str] | None = None,
                 search: str | None = None, since: float | None = None,
                 before: float | None = None,
                 owner: str | Iterable[str | None] | None = None,
                 ) -> tuple[str, str, list[Any], str]:
        """What ``list`` and ``scan`` read for these filters, every one of which must hold:
        (the FROM source, its WHERE clause, the arguments, the ``seq`` column to order by).

        ``tag`` (one or several, all required) and ``search`` ignore case; ``search`` matches
        part of the name, the backend or a tag, or the start of the id; ``since`` /
        ``before`` bound the creation time (POSIX seconds); ``owner`` is one owner or
        several (``None`` among them: the jobs that have no owner recorded). With a tag, the query starts
        from that tag's rows of ``job_tags`` (its index is in ``seq`` order), so a page of
        a tag's jobs costs the same in a store of a million."""
        where, args = [], []
        tags = [t.strip() for t in ([tag] if isinstance(tag, str) else list(tag or []))
                if t and t.strip()]
        source, order = "jobs j", "j.seq"
        if tags:
            source, order = self.TAG_JOIN, "t.seq"
            where.append("t.tag = ?")
            args.append(tags[0])
        for one in tags[1:]:
            where.append("j.seq IN (SELECT seq FROM job_tags WHERE tag = ?)")
            args.append(one)
        if session:
            where.append("j.session = ?")
            args.append(session)
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"j.status IN ({', '.join('?' * len(statuses))})")
            args += [str(JobStatus(s)) for s in statuses]
        if backend:
            where.append("j.backend = ?")
            args.append(backend)
        if owner is not None:
            owners = [owner] if isinstance(owner, str) else list(owner)
            named = [o for o in owners if o is not None]
            either = [f"j.owner IN ({', '.join('?' * len(named))})"] if named else []
            if None in owners:
                either.append("j.owner IS NULL")
            where.append(f"({' OR '.join(either)})" if either else "1 = 0")
            args += named
        if search and search.strip():
            condition, found = self._search(search.strip())
            where.append(condition)
            args += found
        if since is not None:
            where.append("j.created_at >= ?")
            args.append(float(since))
        if before is not None:
            where.append("j.created_at < ?")
            args.append(float(before))
        return source, (f"WHERE {' AND '.join(where)}" if where else ""), args, order

    @guarded
    def list(self, *, status: str | Iterable[str] | None = None, backend: str | None = None,
             session: str | None = None, tag: str | Iterable[str] | None = None,
             search: str | None = None, since: float | None = None, limit: int = 50,
             offset: int = 0, newest_first: bool = True,
             owner: str | Iterable[str | None] | None = None) -> tuple[list[JobRecord], int]:
        """A page of jobs and the total that match the filters (see ``_filters``)."""
        source, clause, args, order = self._filters(status, backend, session, tag, search,
                                                    since, owner=owner)
        # one tag and nothing else: its rows of job_tags alone say how many
        counted = ("job_tags t " + clause if clause == "WHERE t.tag = ?"
                   else f"{source} {clause}")
        direction = "DESC" if newest_first else "ASC"
        with self.snapshot():
            conn = self._conn()
            total = conn.execute(f"SELECT COUNT(*) FROM {counted}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT {J_COLUMNS} FROM {source} {clause} ORDER BY {order} {direction} "
                "LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return [to_record(r) for r in rows], total

    def scan(self, *, batch: int = 500, with_results: bool = False,
             **filters: Any) -> Iterator[tuple[JobRecord, dict[str, Any] | None]]:
        """Every job matching ``filters`` (those of ``list``), oldest first, with its result
        when ``with_results`` (None otherwise, or when it has none). Read in batches of
        short transactions, so an export of a million jobs neither holds the store nor
        memory."""
        source, clause, args, order = self._filters(**filters)
        joiner = "AND" if clause else "WHERE"
        after = 0
        while True:
            rows = self._conn().execute(
                f"SELECT {order}, {J_COLUMNS} FROM {source} {clause} {joiner} {order} > ? "
                f"ORDER BY {order} LIMIT ?", (*args, after, batch)).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            results: dict[str, Any] = {}
            if with_results:
                ids = [r[1] for r in rows]
                results = {job_id: json.loads(data) for job_id, data in self._conn().execute(
                    f"SELECT job_id, data FROM results WHERE job_id IN "
                    f"({', '.join('?' * len(ids))})", ids)}
            for row in rows:
                yield to_record(row[1:]), results.get(row[1])

    @guarded
    def payload(self, job_id: str) -> tuple[str, bytes]:
        kept = kept_payload(self, job_id)  # read with the job by this thread's claim
        if kept is not None:
            return kept
        row = self._conn().execute("SELECT format, data FROM payloads WHERE job_id = ?",
                                   (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no payload for job {job_id!r}")
        return row[0], bytes(row[1])

    @guarded
    def result(self, job_id: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT data FROM results WHERE job_id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else None

    @guarded
    def events(self, job_id: str) -> list[tuple[float, str, str | None]]:
        return [tuple(r) for r in self._conn().execute(
            "SELECT at, status, detail FROM events WHERE job_id = ? ORDER BY id", (job_id,))]
