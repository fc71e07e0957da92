"""Other users' jobs in hub mode (``QNB_HUB_SERVICE`` set): what a user's own processes
(kernels, and the ``qnb`` command in their terminal) ask qnb's hub service with their hub
token (``JUPYTERHUB_API_TOKEN``, which kernels inherit from their server). The service's
answer is the authority: a 403 becomes ``NotAllowed`` with its message and what was
missing, and another user's job comes back as the service shows it, its row only."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from ..models import JobNotFound, JobRecord, JobStatus, SubmitError
from ..teams.groups import NotAllowed
from .client import HubServiceError, ask_service

PAGE = 500  # the service's largest page (``MAX_LIMIT`` of the REST API)
_FIELDS = frozenset(f.name for f in fields(JobRecord))
_TIMES = ("created_at", "started_at", "finished_at", "updated_at", "estimated_start",
          "estimated_end")


def query(filters: dict[str, Any], *, owner: str | None, team: bool) -> list[tuple[str, str]]:
    """The REST query of a listing: ``filters`` as ``api.job_filters`` made them (their
    ``owner`` aside), and the view asked for."""
    pairs = [("status", ",".join(filters["status"]))] if filters.get("status") else []
    for key, name in (("backend", "backend"), ("session", "session"), ("search", "q")):
        if filters.get(key):
            pairs.append((name, str(filters[key])))
    pairs += [("tag", t) for t in filters.get("tag") or []]
    if filters.get("since") is not None:
        pairs.append(("since", repr(float(filters["since"]))))
    if owner:
        pairs.append(("owner", owner))
    if team:
        pairs.append(("team", "1"))
    return pairs


def ask(method: str, path: str, pairs: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The service's JSON answer; its refusals as qnb's errors (403 ``NotAllowed``, 404
    ``JobNotFound``, 400 ``SubmitError``), anything else as ``HubServiceError``."""
    answer = ask_service(method, path, pairs)
    body = answer.json()
    if 200 <= answer.status < 300 and isinstance(body, dict):
        return body
    body = body if isinstance(body, dict) else {}
    message = str(body.get("error") or f"the qnb hub service answered {answer.status} to "
                                       f"{method} {path}")
    if answer.status == 403:
        raise NotAllowed(message, str(body.get("missing", "")))
    if answer.status == 404 and body:
        raise JobNotFound(message)
    if answer.status == 400:
        raise SubmitError(message)
    if answer.status == 409 and "status" in body:  # a finished job: not cancelled
        return body
    raise HubServiceError(message, answer.status)


def record_of(row: dict[str, Any]) -> JobRecord:
    """A job as the service shows it (``JobRecord.to_json`` without options or results)."""
    data = {k: v for k, v in row.items() if k in _FIELDS}
    for key in _TIMES:
        if isinstance(data.get(key), str):
            data[key] = datetime.fromisoformat(data[key]).timestamp()
    data["status"] = JobStatus(data["status"])
    progress = row.get("progress") or {}
    if progress:
        data.update(progress_done=progress.get("done"), progress_total=progress.get("total"),
                    phase=progress.get("phase"))
    return JobRecord(**data)


def records(pairs: list[tuple[str, str]], limit: int | None) -> list[JobRecord]:
    """The newest ``limit`` jobs of a listing (every one with None), page by page."""
    found: list[JobRecord] = []
    while limit is None or len(found) < limit:
        size = PAGE if limit is None else min(PAGE, limit - len(found))
        page = ask("GET", "jobs", [*pairs, ("limit", str(size)), ("offset", str(len(found)))])
        found += [record_of(r) for r in page["jobs"]]
        if not page["jobs"] or len(found) >= page["total"]:
            break
    return found


def view_owners(*, owner: str | None, team: bool) -> list[str | None]:
    """The owners whose jobs a view shows, as the service decides (``owners`` of its
    answer), with the jobs that have no owner."""
    page = ask("GET", "jobs", [*query({}, owner=owner, team=team), ("limit", "1")])
    return [*page.get("owners", []), None]


def get_record(job_id: str) -> JobRecord:
    """Another user's job as the service shows this user: its row."""
    return record_of(ask("GET", f"jobs/{job_id}"))


def cancel(job_id: str) -> JobStatus:
    """Cancel another user's job through the service: the status after the call."""
    return JobStatus(ask("POST", f"jobs/{job_id}/cancel")["status"])
