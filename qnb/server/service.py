"""What the REST API does, without HTTP: list, show, submit and cancel jobs, list backends.

``JobService`` owns the job store of one ``QNB_HOME``. Every method takes plain values (query
strings, the raw request body) and either returns JSON-able data or raises ``ServiceError``
with the HTTP status and message the caller should see. Methods may block on the store or
on Qiskit's parser; the handlers run them in a thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..config import Config, ConfigError, load_config
from ..models import JobNotFound, JobRecord, JobStatus, StoreError, SubmitError, validate_job_id
from ..store import JobStore, get_store
from ..teams.access import Caller
from ..teams.budgets import BudgetExceeded
from ..teams.groups import NotAllowed, current_user
from .forward import HubForward, foreign, involves_others

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
ORIGIN = "rest"
SUBMIT_FIELDS = ("qasm", "backend", "shots", "name", "seed", "tags")
_STATUSES = ", ".join(s.value for s in JobStatus)
T = TypeVar("T")


class ServiceError(Exception):
    """A request the service refuses: ``http_status`` and the JSON answer ``body``."""

    def __init__(self, http_status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message
        self.body: dict[str, Any] = {"error": message, **extra}

    @classmethod
    def relayed(cls, http_status: int, body: dict[str, Any]) -> ServiceError:
        """The hub service's refusal, passed on unchanged."""
        made = cls(http_status, str(body.get("error", "")))
        made.body = body
        return made


def job_json(record: JobRecord) -> dict[str, Any]:
    """A job as the REST API shows it: the record without its options (they hold the profile)."""
    data = record.to_json()
    data.pop("options", None)
    return data


class JobService:
    """The REST API's view of one ``QNB_HOME``: its store, configuration and runner. With
    ``hub`` (a user's server in hub mode, ``forward.py``), what involves other users is the
    hub service's to answer."""

    def __init__(self, home: Path, *, max_body_bytes: int = MAX_BODY_BYTES,
                 hub: HubForward | None = None) -> None:
        self.home = Path(home)
        self.max_body_bytes = max_body_bytes
        self.hub = hub

    @property
    def store(self) -> JobStore:
        """The store of this home, opened once per process."""
        return get_store(self.home)

    # -- reading ------------------------------------------------------------------------
    def caller(self) -> Caller:
        """Who a request of this Jupyter server acts for: its user (``JUPYTERHUB_USER`` under
        a hub, else the Unix user), with the configured groups. The hub service
        (``qnb/hub/service.py``) passes the hub's user instead."""
        return Caller.local(self._config().team)

    def list_jobs(self, *, status: str | None = None, backend: str | None = None,
                  limit: str | None = None, offset: str | None = None,
                  session: str | None = None, tag: str | None = None, q: str | None = None,
                  since: str | None = None, owner: str | None = None,
                  team: str | None = None, caller: Caller | None = None) -> dict[str, Any]:
        """A page of the caller's jobs, newest first, and how many match (``owner``: a
        teammate's instead; ``team=1``: every member's of the caller's groups; 403 naming the
        scope a caller lacks). Query values arrive as strings: ``tag`` one tag or several
        comma-separated (a job must have all), ``q`` search text, ``since`` ISO 8601, epoch
        seconds or a duration ago (``7d``)."""
        if self._forwards(caller, owner, team):
            return self._relay("GET", "jobs", dict(
                status=status, backend=backend, limit=limit, offset=offset, session=session,
                tag=tag, q=q, since=since, owner=owner, team=team))
        filters = _parse_filters(status, backend, session, tag, q, since)
        filters["owner"] = self._owners(caller, owner, team)
        page = _parse_int("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT)
        start = _parse_int("offset", offset, 0, 0, None)
        records, total = self._read(lambda: self.store.list(limit=page, offset=start,
                                                            **filters))
        data = {"jobs": [job_json(r) for r in records], "total": total, "limit": page,
                "offset": start}
        if owner or _parse_flag("team", team):  # whose jobs this view shows
            data["owners"] = [o for o in filters["owner"] if o is not None]
        return data

    def export_csv(self, *, status: str | None = None, backend: str | None = None,
                   session: str | None = None, tag: str | None = None, q: str | None = None,
                   since: str | None = None, counts: str | None = None,
                   owner: str | None = None, team: str | None = None,
                   caller: Caller | None = None) -> str:
        """Every job matching the filters of ``list_jobs`` as the CSV of ``qnb export``,
        oldest first; ``counts=1`` adds the results (of the caller's own jobs only)."""
        from .. import export

        if self._forwards(caller, owner, team):
            return self._relay("GET", "jobs.csv", dict(
                status=status, backend=backend, session=session, tag=tag, q=q, since=since,
                counts=counts, owner=owner, team=team))
        who = caller or self.caller()
        filters = _parse_filters(status, backend, session, tag, q, since)
        filters["owner"] = self._owners(who, owner, team)
        with_counts = _parse_flag("counts", counts)
        return self._read(lambda: export.csv_text(
            export.rows(self.store, counts=with_counts, results_of=who.sees_result,
                        **filters), counts=with_counts))

    def get_job(self, job_id: str, caller: Caller | None = None) -> dict[str, Any]:
        """One job; a DONE job carries its ``counts`` (and ``mitigated`` counts when made), and
        a primitive job its ``pubs``: per PUB the shape, and ``evs``/``stds`` (Estimator) or
        ``counts`` per parameter point (Sampler); a resource estimate its ``estimates``, per
        circuit the figures of ``azure_estimator.summary``. Another user's job: its row
        only, for a teammate with the team scope (403 otherwise), never its result."""
        record = self._record(job_id)
        if self._forwards_job(caller, record):
            return self._relay("GET", f"jobs/{record.id}", {})
        who = caller or self.caller()
        _allowed(lambda: who.check_read(record))
        data = job_json(record)
        if record.status is JobStatus.DONE and who.sees_result(record):
            result = self._read(lambda: self.store.result(record.id)) or {}
            data["counts"] = result.get("counts", [])
            for key in ("mitigated", "pubs"):
                if key in result:
                    data[key] = result[key]
            if "resource_estimates" in result:  # a resource estimate's figures, no counts
                from ..backends.azure_estimator import summary

                data["estimates"] = [summary(e) for e in result["resource_estimates"]]
        return data

    def usage(self, *, by: str | None = None, since: str | None = None,
              budget: str | None = None, caller: Caller | None = None) -> dict[str, Any]:
        """The usage ledger added up ``by`` backend (default), day, tag or status, for jobs
        that finished ``since``; costs are estimates. ``budget=1``: instead, each budget
        that applies to the caller, with its cap, spent, reserved and left."""
        from ..ledger import check_group
        from ..models import parse_since

        if _parse_flag("budget", budget):
            from ..teams.spending import budget_report

            if self.hub is not None and caller is None:  # the service holds the budgets
                return self._relay("GET", "usage", dict(by=by, since=since, budget=budget))

            who = caller or self.caller()
            rows = self._read(lambda: budget_report(self._config(), who.team, who.name,
                                                    self.store))
            return {"user": who.name, "budgets": rows}
        try:
            group = check_group(by or "backend")
        except ValueError as exc:
            raise ServiceError(400, f"by: {exc}") from None
        try:
            when = parse_since(since)
        except ValueError as exc:
            raise ServiceError(400, f"since: {exc}") from None
        groups = self._read(lambda: self.store.usage(by=group, since=when))
        return {"by": group, "since": when, "groups": groups, "cost_is_estimate": True}

    def backends(self) -> dict[str, Any]:
        from ..backends.listing import list_backends

        cfg = self._config()
        return {"backends": [b.to_json() for b in list_backends(cfg.default_backend)],
                "default": cfg.default_backend}

    # -- writing ------------------------------------------------------------------------
    def submit(self, body: bytes, caller: Caller | None = None) -> dict[str, Any]:
        """Queue the OpenQASM program of a JSON body through ``api.submit``, the path every
        submission takes, as the caller's job; nothing is written unless all is valid, and
        nothing over a budget (403 naming it)."""
        from .. import api

        if len(body) > self.max_body_bytes:
            raise self.too_large(len(body))
        fields = _parse_body(body)
        qasm = _check_qasm(fields.get("qasm"))
        self._config()  # a broken server configuration is a 500, not the caller's mistake
        who = caller or self.caller()
        try:
            job = api.submit(qasm, backend=fields.get("backend"), shots=fields.get("shots"),
                             name=fields.get("name"), seed=fields.get("seed"), origin=ORIGIN,
                             home=self.home, tags=fields.get("tags"), owner=who.name,
                             team=who.team)
        except BudgetExceeded as exc:
            raise ServiceError(403, str(exc), budget=exc.detail) from None
        except SubmitError as exc:
            extra = {"backends": exc.configured} if exc.configured is not None else {}
            raise ServiceError(400, str(exc), **extra) from None
        except StoreError as exc:
            raise ServiceError(503, str(exc)) from None
        return {"id": job.id, "status": str(job.record.status), "backend": job.record.backend,
                "owner": job.record.owner}

    def cancel(self, job_id: str, caller: Caller | None = None) -> dict[str, Any]:
        """Cancel a queued job at once, or ask the runner to stop a running one (202).

        A job that has already finished cannot be cancelled: 409 with its status. Another
        user's job needs the admin scope: 403 saying so.
        """
        record = self._record(job_id)
        if self._forwards_job(caller, record):
            return self._relay("POST", f"jobs/{record.id}/cancel", {})
        who = caller or self.caller()
        _allowed(lambda: who.check_cancel(record))
        if record.is_final:
            raise self._finished(record.id, record.status)
        try:
            status = self.store.request_cancel(record.id)
        except JobNotFound as exc:
            raise ServiceError(404, str(exc)) from None
        except StoreError as exc:
            raise ServiceError(503, str(exc)) from None
        if status.is_final and status is not JobStatus.CANCELLED:
            raise self._finished(record.id, status)  # it finished while we looked
        from ..runner import wake

        wake(self.home)
        return {"id": record.id, "status": str(status), "cancel_requested": True}

    def too_large(self, size: int | None = None) -> ServiceError:
        got = f" ({size:,} bytes)" if size is not None else ""
        return ServiceError(413, f"request body too large{got}: at most "
                                 f"{self.max_body_bytes:,} bytes of JSON")

    # -- helpers ------------------------------------------------------------------------
    def _forwards(self, caller: Caller | None, owner: str | None, team: str | None) -> bool:
        """Whether a listing goes to the hub service: hub mode, for this server's own user
        (the service itself passes its caller), asking for others' jobs."""
        return (self.hub is not None and caller is None
                and involves_others(current_user(), owner, team))

    def _forwards_job(self, caller: Caller | None, record: JobRecord) -> bool:
        """Whether reading or cancelling a job goes to the hub service: hub mode, for this
        server's own user, and another user's job."""
        return self.hub is not None and caller is None and foreign(current_user(), record.owner)

    def _relay(self, method: str, path: str, query: dict[str, str | None]) -> Any:
        """The hub service's answer: its JSON (or CSV text) when it agrees, else a
        ``ServiceError`` with its status and JSON body unchanged."""
        assert self.hub is not None
        status, body = self.hub.relay(method, path, query)
        if 200 <= status < 300:
            return body
        raise ServiceError.relayed(status, body)

    def _owners(self, caller: Caller | None, owner: str | None,
                team: str | None) -> list[str | None]:
        who = caller or self.caller()
        view = _parse_flag("team", team)
        return _allowed(lambda: who.owners(owner=(owner or "").strip() or None, team=view))

    def _record(self, job_id: str) -> JobRecord:
        try:
            validate_job_id(job_id)
            return self._read(lambda: self.store.get(job_id))
        except JobNotFound as exc:
            raise ServiceError(404, str(exc)) from None

    def _read(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except StoreError as exc:
            raise ServiceError(503, str(exc)) from None

    def _config(self) -> Config:
        try:
            return load_config(self.home)
        except ConfigError as exc:  # the server's configuration, not the caller's mistake
            raise ServiceError(500, f"qnb configuration error: {exc}") from None

    @staticmethod
    def _finished(job_id: str, status: JobStatus) -> ServiceError:
        return ServiceError(409, f"job {job_id} has already finished ({status}); "
                                 "only QUEUED or RUNNING jobs can be cancelled",
                            status=str(status))


def _allowed(check: Callable[[], T]) -> T:
    """``check()``, its refusal as a 403 naming what was missing."""
    try:
        return check()
    except NotAllowed as exc:
        raise ServiceError(403, str(exc), missing=exc.missing) from None


def _parse_statuses(value: str | None) -> list[str] | None:
    """``QUEUED`` or ``QUEUED,RUNNING`` (any case); empty means every status."""
    if value is None or not value.strip():
        return None
    statuses = []
    for part in value.split(","):
        name = part.strip().upper()
        if name not in JobStatus.__members__:
            raise ServiceError(400, f"status must be one of {_STATUSES} "
                                    f"(or several, comma-separated), got {part.strip()!r}")
        statuses.append(name)
    return statuses


def _parse_filters(status: str | None, backend: str | None, session: str | None,
                   tag: str | None, q: str | None, since: str | None) -> dict[str, Any]:
    """The query's filters as ``JobStore.list`` takes them; 400 naming a bad one."""
    from ..models import parse_since

    try:
        when = parse_since(since)
    except ValueError as exc:
        raise ServiceError(400, f"since: {exc}") from None
    tags = [t.strip() for t in (tag or "").split(",") if t.strip()]
    return {"status": _parse_statuses(status), "backend": backend or None,
            "session": session or None, "tag": tags or None,
            "search": (q or "").strip() or None, "since": when}


def _parse_flag(key: str, value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes"):
        return True
    raise ServiceError(400, f"{key} must be 1 or 0 (true or false), got {value!r}")


def _parse_int(key: str, value: str | None, default: int, low: int, high: int | None) -> int:
    if value is None or not value.strip():
        return default
    text = value.strip()
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    if not re.fullmatch(r"[+-]?\d{1,12}", text):
        raise ServiceError(400, f"{key} must be an integer {bounds}, got {value!r}")
    number = int(text)
    if number < low or (high is not None and number > high):
        raise ServiceError(400, f"{key} must be an integer {bounds}, got {number}")
    return number


def _parse_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise ServiceError(400, "request body is empty; send a JSON object such as "
                                '{"qasm": "OPENQASM 2.0; ...", "backend": "aer", "shots": 1000}')
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ServiceError(400, "request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ServiceError(400, f"request body is not valid JSON: {exc.msg} at line {exc.lineno}, "
                                f"column {exc.colno}") from None
    except RecursionError:
        raise ServiceError(400, "request body is not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ServiceError(400, f"request body must be a JSON object, got a JSON "
                                f"{_json_type(data)}")
    unknown = sorted(set(data) - set(SUBMIT_FIELDS))
    if unknown:
        raise ServiceError(400, f"unknown field(s) {', '.join(map(repr, unknown))}; "
                                f"allowed: {', '.join(SUBMIT_FIELDS)}")
    return data


def _check_qasm(qasm: Any) -> str:
    """The program must be OpenQASM text (``api.submit`` parses it, and never runs it as
    code, nor reads any file it includes)."""
    from ..circuits import looks_like_qasm

    if qasm is None:
        raise ServiceError(400, "missing field 'qasm': the OpenQASM 2 or 3 program to run")
    if not isinstance(qasm, str):
        raise ServiceError(400, f"qasm must be a string of OpenQASM, got a JSON {_json_type(qasm)}")
    if not looks_like_qasm(qasm):
        raise ServiceError(400, "qasm must be an OpenQASM program starting with "
                                "'OPENQASM 2.0;' or 'OPENQASM 3.0;'")
    return qasm


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)
