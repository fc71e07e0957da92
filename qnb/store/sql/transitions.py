"""The SQL stores' status moves: each change of a job's status is one named method here,
one short write transaction guarded by ``TRANSITIONS`` (``qnb/store/transitions.py``), so
that writers never hold the file for long, no job is ever half-written and a late result
never overwrites a cancel. Also what changes a job without moving it: notes, progress,
tags."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ...models import JobNotFound, JobRecord, JobStatus, check_tags, validate_job_id
from ...teams.budgets import PAID_PROVIDERS, Reservation
from ..records import COLUMNS, FIELDS, check_fields, to_column
from ..transitions import move_changes, sources
from .base import Connection, SQLBase
from .budgets import reserve, settle
from .ledger import LEDGER_ROW, enter_service_usage, enter_usage

_PROVIDER = FIELDS.index("provider")
_ID = FIELDS.index("id")


def move(c: Connection, job_id: str | None, to: JobStatus, *,
          only_from: Iterable[JobStatus] | None = None, where: str = "",
          sets: dict[str, Any] | None = None, detail: str | None = None,
          one_statement: bool = False, pick: tuple[str, Sequence[Any]] | None = None,
          counting: Sequence[str] = (),
          then: Sequence[tuple[str, Sequence[Any]]] = (),
          with_payload: bool = False) -> Any | None:
    """Move one job to ``to`` inside the caller's transaction, if ``TRANSITIONS`` (narrowed
    to ``only_from``) allows it from the job's status: the job's row as it is now (its
    ``COLUMNS``, so that a claim needs no second read), or None, changing nothing, if not.

    The job is ``job_id``, or (``job_id`` None) the one the query ``pick`` (SQL, parameters)
    selects. ``sets`` are the fields written besides the status, ``counting`` the ones
    raised by one. The move's event is written with it, and, when it moved, the statements
    of ``then`` (SQL, parameters), each reading the moved row from ``{source}`` (after its
    own parameters). With ``one_statement``, all of that is one statement, and the row it
    gives ends with the job's payload format and data if ``with_payload``."""
    allowed = sources(to, only_from)
    if not allowed:
        return None
    changes = move_changes(to, sets)
    check_fields([*changes, *counting])
    assignments = ", ".join([f"{k} = ?" for k in changes] + [f"{k} = {k} + 1" for k in counting])
    marks = ", ".join("?" * len(allowed))
    chosen, chosen_params = (f"({pick[0]})", tuple(pick[1])) if job_id is None else ("?", (job_id,))
    update = (f"UPDATE jobs SET {assignments} WHERE id = {chosen} AND status IN ({marks}) "
              f"{where} RETURNING {COLUMNS}")
    params = (*(to_column(k, v) for k, v in changes.items()), *chosen_params, *allowed)
    event = (changes["updated_at"], str(to), detail)
    if to.is_final:  # an ending job's ledger row (a row it had is replaced)
        then = [*((sql, ()) for sql in LEDGER_ROW), *then]
    if one_statement:  # the event and the rest only if the row moved
        extra = "".join(f", then{i} AS ({sql.format(source='moved')})"
                        for i, (sql, _) in enumerate(then))
        rows = c.execute(f"WITH moved AS ({update}), logged AS (INSERT INTO events (job_id, "
                         f"at, status, detail) SELECT id, ?, ?, ? FROM moved){extra} "
                         + ("SELECT moved.*, p.format, p.data FROM moved LEFT JOIN payloads p "
                            "ON p.job_id = moved.id" if with_payload else "SELECT * FROM moved"),
                         (*params, *event, *(p for _, ps in then for p in ps))).fetchall()
    else:
        rows = c.execute(update, params).fetchall()
        if rows:
            moved_id = rows[0][_ID]
            c.execute("INSERT INTO events (job_id, at, status, detail) VALUES (?, ?, ?, ?)",
                      (moved_id, *event))
            for sql, ps in then:
                c.execute(sql.format(source="jobs WHERE id = ?"), (*ps, moved_id))
    if not rows:
        return None
    if to.is_final and rows[0][_PROVIDER] in PAID_PROVIDERS:
        settle(c, rows[0][_ID])  # only paid jobs hold reservations to settle
    return rows[0]


def set_fields(c: Connection, job_id: str, values: dict[str, Any]) -> None:
    values = {**values, "updated_at": time.time()}
    assignments = ", ".join(f"{k} = ?" for k in values)
    c.execute(f"UPDATE jobs SET {assignments} WHERE id = ?",
              (*(to_column(k, v) for k, v in values.items()), job_id))


class Transitions(SQLBase):
    """The moves of a job's status, and the changes that are not moves."""

    def _move(self, c: Connection, job_id: str, to: JobStatus, **how: Any) -> bool:
        """``move``, and listeners told when a job waits (again) or has ended."""
        return self._move_row(c, job_id, to, **how) is not None

    def _move_row(self, c: Connection, job_id: str | None, to: JobStatus,
                  **how: Any) -> Any | None:
        """``_move``, giving the job's row after the move (None if it did not move)."""
        row = move(c, job_id, to, one_statement=self.WITH_WRITES, **how)
        if row is not None and (to is JobStatus.QUEUED or to.is_final):
            self._announce(c, "submit" if to is JobStatus.QUEUED else f"end {row[_ID]}")
        return row

    def add_job(self, record: JobRecord, payload_format: str, payload: bytes, *,
                reservation: Reservation | None = None) -> JobRecord:
        """Write a new QUEUED job and its payload in one transaction, with the
        ``reservation`` of a paid job against its budgets (``BudgetExceeded``, writing
        nothing, if a cap would be passed)."""
        if record.status is not JobStatus.QUEUED:
            raise ValueError(f"a new job is QUEUED, not {record.status}")
        return self._insert(record, payload_format, payload, reservation=reservation)


    def import_job(self, record: JobRecord, payload_format: str, payload: bytes,
                   result: dict[str, Any] | None = None) -> JobRecord:
        """Write a job as it already is, in any status (a recovered store, an import, test
        data), with its result; its history starts at that status."""
        return self._insert(record, payload_format, payload, result)


    def _insert(self, record: JobRecord, payload_format: str, payload: bytes,
                result: dict[str, Any] | None = None, *,
                reservation: Reservation | None = None) -> JobRecord:
        record.tags = check_tags(record.tags)
        now = time.time()
        record.updated_at = now
        with self._write() as c:
            if reservation is not None:  # first: a refusal writes nothing
                reserve(c, record.id, record.backend, reservation, now)
            # the job's number is drawn by the insert itself (one statement, not two), and
            # read back only for its tags (reading it waits for the server)
            insert = (f"INSERT INTO jobs ({COLUMNS}, seq) VALUES "
                      f"({', '.join('?' * len(FIELDS))}, {self.NEXT_SEQ}) RETURNING seq")
            row = [to_column(f, getattr(record, f)) for f in FIELDS]
            payload_row = (record.id, payload_format, payload)
            event = (record.id, now, str(record.status))
            if self.WITH_WRITES:  # its payload and first event in the same statement
                inserted = c.execute(
                    f"WITH j AS ({insert}), p AS (INSERT INTO payloads (job_id, format, data) "
                    "VALUES (?, ?, ?)), e AS (INSERT INTO events (job_id, at, status) VALUES "
                    "(?, ?, ?)) SELECT seq FROM j", (*row, *payload_row, *event))
                seq = inserted.fetchall()[0][0] if record.tags else None
            else:
                seq = c.execute(insert, row).fetchall()[0][0]
                c.execute("INSERT INTO payloads (job_id, format, data) VALUES (?, ?, ?)",
                          payload_row)
                c.execute("INSERT INTO events (job_id, at, status) VALUES (?, ?, ?)", event)
            if record.tags:
                c.executemany("INSERT INTO job_tags (tag, seq, job_id) VALUES (?, ?, ?)",
                              [(tag, seq, record.id) for tag in record.tags])
            if result is not None:
                c.execute("INSERT INTO results (job_id, data) VALUES (?, ?)",
                          (record.id, json.dumps(result)))
            if record.status.is_final:
                enter_usage(c, record.id, result)
            else:
                self._announce(c, f"submit {record.provider}")
        return record


    def begin_submit(self, job_id: str, follower: int | None = None) -> bool:
        """Mark a QUEUED job as being handed to its remote service by runner ``follower``
        (which follows it from then on). From here until ``attach_remote``, nobody can tell
        whether the service has it: a runner that stops in between leaves the job to the
        runner that adopts it (ERROR), never to a second submission. False if another runner
        took it first."""
        with self._write(ordered=False) as c:
            cur = c.execute(
                "UPDATE jobs SET submitting = 1, provider_status = 'submitting', updated_at = ?, "
                "follower = ? WHERE id = ? AND status = 'QUEUED' AND submitting = 0 "
                "AND remote_id IS NULL AND cancel_requested = 0",
                (time.time(), follower, job_id))
            return cur.rowcount == 1


    def attach_remote(self, job_id: str, remote_id: str,
                      provider_state: dict[str, Any] | None = None) -> None:
        """The service accepted the job: keep its remote id (and the provider's state for
        it), so that any later runner can follow it."""
        with self._write(ordered=False) as c:
            c.execute(
                "UPDATE jobs SET submitting = 0, remote_id = ?, provider_state = ?, "
                "provider_status = 'submitted', updated_at = ? WHERE id = ?",
                (remote_id, json.dumps(provider_state or {}), time.time(), job_id))


    def set_remote_state(self, job_id: str, status: JobStatus, provider_status: str, *,
                         queue_position: int | None = None,
                         estimated_start: float | None = None) -> bool:
        """What a poll of a remote job said, while it is not finished: QUEUED <-> RUNNING at
        the service, its own status word, its queue position and estimated start."""
        status = JobStatus(status)
        if status.is_final:
            raise ValueError("a finished remote job ends through finish()")
        info = {"provider_status": provider_status, "queue_position": queue_position,
                "estimated_start": estimated_start}
        with self._write(ordered=False) as c:
            row = c.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or JobStatus(row[0]).is_final:
                return False
            if row[0] != str(status):
                return self._move(c, job_id, status, only_from=[JobStatus(row[0])],
                                  sets=info, detail=provider_status)
            set_fields(c, job_id, info)
            return True


    def worker_died(self, job_id: str, reason: str, *, limit: int) -> JobStatus | None:
        """The worker running a job died (segfault, out of memory): counted against the job.
        RUNNING -> QUEUED to run once more while it has crashed fewer than ``limit`` times,
        else -> ERROR saying so. The status it moved to, or None if it was not running."""
        with self._write() as c:
            row = c.execute("SELECT crashes FROM jobs WHERE id = ? AND status = 'RUNNING'",
                            (job_id,)).fetchone()
            if row is None:
                return None
            crashes = row[0] + 1
            if crashes < limit:
                note = f"re-queued: {reason}"
                self._move(c, job_id, JobStatus.QUEUED, only_from=[JobStatus.RUNNING],
                           sets={"crashes": crashes, "provider_status": note,
                                 "started_at": None, "progress_done": None,
                                 "progress_total": None, "phase": None,
                                 "estimated_end": None},
                           detail=note)
                return JobStatus.QUEUED
            times = "once" if crashes == 1 else f"{crashes} times"
            error = f"{reason}; it crashed its worker {times}, so it is not run again"
            self._move(c, job_id, JobStatus.ERROR, only_from=[JobStatus.RUNNING],
                       sets={"crashes": crashes, "error": error, "provider_status": "error"},
                       detail=error)
            return JobStatus.ERROR


    def requeue(self, job_id: str, reason: str) -> bool:
        """RUNNING -> QUEUED: local work lost with a stopped runner, to be run again."""
        with self._write(ordered=False) as c:
            return self._move(c, job_id, JobStatus.QUEUED, only_from=[JobStatus.RUNNING],
                              sets={"provider_status": reason, "started_at": None,
                                    "progress_done": None, "progress_total": None,
                                    "phase": None,
                                    "estimated_end": None},
                              detail=reason)


    def finish(self, job_id: str, status: JobStatus, *, error: str | None = None,
               result: dict[str, Any] | None = None, provider_status: str | None = None,
               only_from: Iterable[JobStatus] | None = None) -> bool:
        """End a job DONE (with its result), ERROR or CANCELLED (with the reason).

        False, changing nothing, when the job has already ended (a late result after a
        cancel) or is not in one of ``only_from``.
        """
        status = JobStatus(status)
        if not status.is_final:
            raise ValueError(f"{status} is not a final status")
        sets: dict[str, Any] = {"submitting": False,
                                "provider_status": provider_status or str(status).lower()}
        if error is not None:
            sets["error"] = error
        # the result with the move (replacing one it had)
        then = [] if result is None else [(
            "INSERT INTO results (job_id, data) SELECT id, ? FROM {source} ON CONFLICT "
            "(job_id) DO UPDATE SET data = excluded.data", (json.dumps(result),))]
        with self._write() as c:
            if not self._move(c, job_id, status, only_from=only_from, sets=sets,
                              detail=error or provider_status, then=then):
                return False
            if result is not None:
                enter_service_usage(c, job_id, result)
        return True


    def request_cancel(self, job_id: str) -> JobStatus:
        """Cancel a queued job at once, or ask the runner to stop a running one (or one
        handed to a service).

        Returns the status after the call. Raises ``JobNotFound``; a finished job is returned
        unchanged (the caller decides whether that is a conflict).
        """
        validate_job_id(job_id)
        with self._write() as c:
            row = c.execute("SELECT status, remote_id, submitting FROM jobs WHERE id = ?",
                            (job_id,)).fetchone()
            if row is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            status = JobStatus(row[0])
            held_remotely = row[1] is not None or bool(row[2])
            if status is JobStatus.QUEUED and not held_remotely and self._move(
                    c, job_id, JobStatus.CANCELLED, only_from=[JobStatus.QUEUED],
                    sets={"cancel_requested": True, "error": "cancelled before it started",
                          "provider_status": "cancelled"},
                    detail="cancelled while queued"):
                return JobStatus.CANCELLED
            if not status.is_final:
                set_fields(c, job_id, {"cancel_requested": True})
            return status


    def estimate_end(self, job_id: str, seconds: float) -> bool:
        """A running job should end ``seconds`` after it started; False if it is not running."""
        with self._write(ordered=False) as c:
            return c.execute("UPDATE jobs SET estimated_end = started_at + ? "
                             "WHERE id = ? AND status = 'RUNNING'",
                             (float(seconds), job_id)).rowcount == 1


    def progress(self, job_id: str, done: int, total: int, phase: str | None = None) -> bool:
        """A running job has taken ``done`` of its ``total`` circuits through ``phase``
        ("transpiling", "simulating"; None: not told) (not a status change: no event).
        False if it is not running."""
        with self._write(ordered=False) as c:
            return c.execute("UPDATE jobs SET progress_done = ?, progress_total = ?, phase = ?, "
                             "updated_at = ? WHERE id = ? AND status = 'RUNNING'",
                             (int(done), int(total), phase, time.time(), job_id)).rowcount == 1


    def note(self, job_id: str, provider_status: str, *, history: bool = False) -> None:
        """Show what the runner is doing with a job (retrying, fetching the result); with
        ``history``, also record it in the job's events."""
        with self._write(ordered=False) as c:
            set_fields(c, job_id, {"provider_status": provider_status})
            if history:
                c.execute("INSERT INTO events (job_id, at, status, detail) SELECT id, ?, status, "
                          "provider_status FROM jobs WHERE id = ?", (time.time(), job_id))


    def retag(self, job_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = (),
              replace: Iterable[str] | None = None) -> list[str]:
        """Change a job's tags, in any status, and return them: ``replace`` them all, or
        ``add`` some and ``remove`` others (without regard to case). One transaction that
        never touches the status; invalid tags (``TagError``) or an unknown job
        (``JobNotFound``) change nothing."""
        validate_job_id(job_id)
        added = check_tags(list(add))
        dropped = {t.strip().casefold() for t in remove if isinstance(t, str)}
        with self._write(ordered=False) as c:
            row = c.execute("SELECT tags, seq FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            tags = check_tags(list(replace)) if replace is not None else json.loads(row[0])
            tags = [t for t in tags if t.casefold() not in dropped]
            have = {t.casefold() for t in tags}
            tags = check_tags(tags + [t for t in added if t.casefold() not in have])
            set_fields(c, job_id, {"tags": tags})
            c.execute("UPDATE usage SET tags = ? WHERE job_id = ?",
                      (to_column("tags", tags), job_id))
            c.execute("DELETE FROM job_tags WHERE job_id = ?", (job_id,))
            c.executemany("INSERT INTO job_tags (tag, seq, job_id) VALUES (?, ?, ?)",
                          [(tag, row[1], job_id) for tag in tags])
        return tags
