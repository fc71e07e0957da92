"""The REST API of the Jupyter server extension for a team (``[team]`` in the config): the
server's user sees their own jobs by default, their groups' with ``?team=1`` and one
teammate's with ``?owner=``; another user's job shows its row, never its counts; cancelling
it answers 403 naming the admin scope; the usage line's budgets (``?budget=1``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from qnb.models import JobRecord, JobStatus
from qnb.store import get_store, new_job_id

pytest_plugins = ("pytest_jupyter.jupyter_server",)

CONFIG = """
[team.groups]
physics = ["alice", "bob"]

[budgets.users]
alice = { usd = 25, period = "month" }
"""


@pytest.fixture
def jp_server_config(qnb_home: Path, monkeypatch) -> dict[str, Any]:
    """A server of alice's (as a hub would start it: JUPYTERHUB_USER) on a team's home."""
    (qnb_home / "config.toml").write_text(CONFIG)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    monkeypatch.delenv("JUPYTERHUB_API_URL", raising=False)
    return {"ServerApp": {"jpserver_extensions": {"qnb": True}}}


async def call(jp_fetch, *parts: str, method: str = "GET", params=None) -> tuple[int, Any]:
    response = await jp_fetch("qnb", "api", *parts, method=method, params=params,
                              body=b"" if method == "POST" else None, raise_error=False)
    return response.code, json.loads(response.body)


def job_of(owner: str | None, status: JobStatus = JobStatus.DONE) -> str:
    now = time.time()
    rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=status, shots=10,
                    created_at=now, owner=owner, name=f"{owner}-job",
                    finished_at=now if status.is_final else None)
    get_store().import_job(rec, "qpy", b"-", result={"counts": [{"0": 10}]}
                           if status is JobStatus.DONE else None)
    return rec.id


async def test_the_servers_user_sees_their_jobs_their_teams_and_never_others_results(
        jp_fetch, qnb_home):
    mine, bobs, carols = job_of("alice"), job_of("bob"), job_of("carol")
    waiting = job_of("bob", JobStatus.QUEUED)
    code, page = await call(jp_fetch, "jobs")
    assert code == 200 and [j["id"] for j in page["jobs"]] == [mine]
    assert page["jobs"][0]["owner"] == "alice"
    code, page = await call(jp_fetch, "jobs", params={"team": "1"})
    assert {j["id"] for j in page["jobs"]} == {mine, bobs, waiting}
    code, page = await call(jp_fetch, "jobs", params={"owner": "bob"})
    assert {j["owner"] for j in page["jobs"]} == {"bob"} and page["total"] == 2
    code, refused = await call(jp_fetch, "jobs", params={"owner": "carol"})
    assert code == 403 and refused["missing"] == "group membership"
    code, job = await call(jp_fetch, "jobs", mine)
    assert job["counts"] == [{"0": 10}]
    code, job = await call(jp_fetch, "jobs", bobs)
    assert code == 200 and job["owner"] == "bob" and "counts" not in job
    code, refused = await call(jp_fetch, "jobs", carols)
    assert code == 403 and "not in any group of 'alice'" in refused["error"]
    code, refused = await call(jp_fetch, "jobs", waiting, "cancel", method="POST")
    assert code == 403 and refused["missing"] == "custom:qnb:admin"
    assert not get_store().get(waiting).cancel_requested
    response = await jp_fetch("qnb", "api", "jobs.csv", params={"team": "1", "counts": "1"})
    text = response.body.decode()
    assert "bob-job" in text and text.count('{""0"":10}') == 1  # alice's counts only
    code, usage = await call(jp_fetch, "usage", params={"budget": "1"})
    assert code == 200 and usage["user"] == "alice"
    [budget] = usage["budgets"]
    assert budget["budget"] == "user alice" and budget["usd"]["left"] == 25.0
