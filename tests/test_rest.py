"""The REST API of the Jupyter server extension, against a real Jupyter server (pytest-jupyter).

Jobs for paging and cancel tests are written straight into the (real) store; submissions go
through the real runner and Aer.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import direct_aer_counts
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from qnb.models import JobRecord, JobStatus
from qnb.store import Store, new_job_id

pytest_plugins = ("pytest_jupyter.jupyter_server",)

BELL_QASM2 = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
              'h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')
X_QASM3 = ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[3] c;\n'
           'x q[0];\nx q[2];\nc = measure q;\n')
PRIVATE = "crn:v1:private-instance-of-this-user"
PROFILES = '[backends.fast]\nprovider = "aer"\nmethod = "statevector"\n'


@pytest.fixture
def jp_server_config(qnb_home: Path) -> dict[str, Any]:
    """A Jupyter server with qnb enabled, serving this test's own QNB_HOME."""
    (qnb_home / "config.toml").write_text(PROFILES)
    return {"ServerApp": {"jpserver_extensions": {"qnb": True}}}


async def call(jp_fetch, *parts: str, method: str = "GET", body: Any = None,
               params: dict[str, Any] | None = None, **kwargs: Any) -> tuple[int, Any]:
    """One API request: (HTTP status, decoded JSON body)."""
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    if method == "POST" and body is None:
        body = b""
    response = await jp_fetch("qnb", "api", *parts, method=method, body=body, params=params,
                              raise_error=False, **kwargs)
    assert response.headers["Content-Type"].startswith("application/json"), response.body[:200]
    return response.code, json.loads(response.body)


def add_jobs(store: Store, n: int, status: JobStatus = JobStatus.DONE,
             backend: str = "aer") -> list[str]:
    """Write ``n`` jobs with this status straight into the store (oldest first)."""
    ids = []
    now = time.time()
    final = status.is_final
    for i in range(n):
        rec = JobRecord(
            id=new_job_id(), backend=backend, provider="aer", status=status, shots=100,
            created_at=now - 1000 + i, name=f"{backend}-{status}-{i}",
            started_at=now - 999 + i if status is not JobStatus.QUEUED else None,
            finished_at=now - 998 + i if final else None,
            summary={"num_qubits": 2, "num_clbits": 2, "depth": 3, "gate_counts": {"h": 1}},
            options={"profile": {"name": backend, "provider": "aer",
                                 "options": {"instance": PRIVATE}}, "run": {}},
            origin="test")
        store.import_job(rec, "qpy", b"not used: no runner picks these up")
        ids.append(rec.id)
    return ids


def job_total(store: Store) -> int:
    return store.list(limit=1)[1]


async def wait_final(jp_fetch, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll ``GET /qnb/api/jobs/{id}`` the way the sidebar does until the job has finished."""
    deadline = time.monotonic() + timeout
    while True:
        code, job = await call(jp_fetch, "jobs", job_id)
        assert code == 200, job
        if job["status"] in ("DONE", "ERROR", "CANCELLED"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout} s"
        await asyncio.sleep(0.1)


# -- listing ------------------------------------------------------------------------------
async def test_list_filters_by_session(jp_fetch, store):
    import dataclasses

    add_jobs(store, 3)
    grouped = []
    for _ in range(2):
        rec = store.get(add_jobs(store, 1)[0])
        copy = dataclasses.replace(rec, id=new_job_id(), session="0123456789ab")
        store.import_job(copy, "qpy", b"unused")
        grouped.append(copy.id)
    code, page = await call(jp_fetch, "jobs", params={"session": "0123456789ab"})
    assert code == 200 and page["total"] == 2
    assert {j["id"] for j in page["jobs"]} == set(grouped)
    assert all(j["session"] == "0123456789ab" for j in page["jobs"])


async def test_list_pages_through_every_job_with_the_total(jp_fetch, store):
    done = add_jobs(store, 50, JobStatus.DONE, "aer")
    queued = add_jobs(store, 40, JobStatus.QUEUED, "other")
    failed = add_jobs(store, 30, JobStatus.ERROR, "aer")
    newest_first = list(reversed(done + queued + failed))

    code, first = await call(jp_fetch, "jobs")
    assert code == 200 and first["total"] == 120 and len(first["jobs"]) == 50  # default page
    seen = []
    for offset in range(0, 120, 50):
        code, page = await call(jp_fetch, "jobs", params={"limit": 50, "offset": offset})
        assert code == 200 and page["total"] == 120
        seen += [j["id"] for j in page["jobs"]]
    assert seen == newest_first  # every job once, newest first, across pages
    code, page = await call(jp_fetch, "jobs", params={"limit": 500})
    assert [j["id"] for j in page["jobs"]] == newest_first
    code, past_end = await call(jp_fetch, "jobs", params={"offset": 1000})
    assert code == 200 and past_end == {"jobs": [], "total": 120, "limit": 50, "offset": 1000}

    job = page["jobs"][0]
    assert job["status"] == "ERROR" and job["backend"] == "aer" and job["origin"] == "test"
    assert job["created_at"].endswith("Z") and job["summary"]["num_qubits"] == 2
    assert "options" not in job and "counts" not in job  # no profile spec, no result in lists


async def test_list_filters_by_status_and_backend(jp_fetch, store):
    done = add_jobs(store, 5, JobStatus.DONE, "aer")
    queued = add_jobs(store, 4, JobStatus.QUEUED, "other")
    add_jobs(store, 3, JobStatus.ERROR, "aer")

    async def ids(**params: Any) -> tuple[int, list[str]]:
        code, data = await call(jp_fetch, "jobs", params=params)
        assert code == 200, data
        assert data["total"] == len(data["jobs"])
        return data["total"], [j["id"] for j in data["jobs"]]

    assert await ids(status="DONE") == (5, done[::-1])
    assert await ids(status="QUEUED", backend="other") == (4, queued[::-1])
    assert (await ids(backend="aer"))[0] == 8
    assert (await ids(status="DONE,ERROR"))[0] == 8
    assert (await ids(status="done"))[0] == 5
    assert (await ids(status="", backend=""))[0] == 12  # empty means no filter
    assert await ids(backend="nowhere") == (0, [])
    assert await ids(status="RUNNING") == (0, [])


@pytest.mark.parametrize(("params", "message"), [
    ({"status": "FINISHED"}, "status must be one of QUEUED, RUNNING, DONE, ERROR, CANCELLED"),
    ({"status": "DONE,nope"}, "got 'nope'"),
    ({"limit": "0"}, "limit must be an integer from 1 to 500, got 0"),
    ({"limit": "501"}, "limit must be an integer from 1 to 500, got 501"),
    ({"limit": "ten"}, "limit must be an integer from 1 to 500, got 'ten'"),
    ({"limit": "1.5"}, "limit must be an integer"),
    ({"offset": "-1"}, "offset must be an integer of at least 0, got -1"),
    ({"offset": "1 OR 1=1"}, "offset must be an integer"),
])
async def test_bad_query_values_are_400_naming_the_value(jp_fetch, store, params, message):
    add_jobs(store, 2)
    code, data = await call(jp_fetch, "jobs", params=params)
    assert code == 400
    assert message in data["error"]


# -- one job --------------------------------------------------------------------------------
async def test_unknown_and_malformed_ids_are_404(jp_fetch, store):
    [job_id] = add_jobs(store, 1)
    code, data = await call(jp_fetch, "jobs", job_id)
    assert code == 200 and data["id"] == job_id and data["status"] == "DONE"
    for bad in ("0123456789ab", job_id.upper(), "1 OR 1=1", "..%2Fx", "x'; DROP TABLE jobs;--",
                job_id + "0"):
        for method, parts in (("GET", ("jobs", bad)), ("POST", ("jobs", bad, "cancel"))):
            code, data = await call(jp_fetch, *parts, method=method)
            assert code == 404, (method, bad, data)
            assert "no job with id" in data["error"]
    # a path that climbs out of the id segment is no endpoint at all
    for parts in (("jobs", "..", "x"), ("jobs", job_id, "frobnicate"), ("nothing",)):
        code, data = await call(jp_fetch, *parts)
        assert code == 404 and "no such qnb API endpoint" in data["error"]
    assert job_total(store) == 1  # the store is intact


async def test_submit_runs_on_aer_and_get_returns_the_counts(jp_fetch, store):
    code, created = await call(jp_fetch, "jobs", method="POST",
                               body={"qasm": BELL_QASM2, "backend": "aer", "shots": 1000,
                                     "name": "bell over REST", "seed": 7})
    assert code == 201, created
    code3, created3 = await call(jp_fetch, "jobs", method="POST",
                                 body={"qasm": X_QASM3, "shots": 200, "backend": "fast"})
    assert code3 == 201, created3

    job = await wait_final(jp_fetch, created["id"])
    assert job["status"] == "DONE", job["error"]
    assert job["name"] == "bell over REST" and job["shots"] == 1000 and job["origin"] == "rest"
    assert job["backend"] == "aer" and "options" not in job
    from qiskit import qasm2

    expected = direct_aer_counts([qasm2.loads(BELL_QASM2)], 1000, 7)
    assert job["counts"] == expected  # the same counts as running Aer directly
    assert sum(job["counts"][0].values()) == 1000 and set(job["counts"][0]) <= {"00", "11"}
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]

    job3 = await wait_final(jp_fetch, created3["id"])
    assert job3["status"] == "DONE" and job3["backend"] == "fast"
    assert job3["counts"] == [{"101": 200}]

    code, listing = await call(jp_fetch, "jobs", params={"status": "DONE"})
    assert [j["id"] for j in listing["jobs"]] == [created3["id"], created["id"]]


async def test_done_job_shows_counts_and_mitigated_counts_but_no_profile(jp_fetch, store):
    [job_id] = add_jobs(store, 1, JobStatus.QUEUED)
    store.claim(job_id)
    result = {"counts": [{"00": 480, "11": 470, "01": 50}, {"0": 1000}],
              "mitigated": [{"00": 0.505, "11": 0.495}, {"0": 1.0}],
              "metadata": {"transpile_seconds": 0.1}}
    assert store.finish(job_id, JobStatus.DONE, result=result)
    response = await jp_fetch("qnb", "api", "jobs", job_id)
    job = json.loads(response.body)
    assert job["counts"] == result["counts"] and job["mitigated"] == result["mitigated"]
    assert "metadata" not in job and "options" not in job
    listing = await jp_fetch("qnb", "api", "jobs")
    for body in (response.body, listing.body):
        assert PRIVATE.encode() not in body  # the profile's settings never leave the server


# -- rejected submissions -----------------------------------------------------------------
BAD_SUBMISSIONS: list[tuple[Any, str]] = [
    ("{not json", "request body is not valid JSON: Expecting property name enclosed in double "
                  "quotes at line 1, column 2"),
    ("", "request body is empty"),
    (b"\xff\xfe{}", "not UTF-8"),
    ("[1, 2]", "request body must be a JSON object, got a JSON array"),
    ("null", "must be a JSON object, got a JSON null"),
    ({}, "missing field 'qasm'"),
    ({"shots": 10}, "missing field 'qasm'"),
    ({"qasm": 42}, "qasm must be a string of OpenQASM, got a JSON number"),
    ({"qasm": "import os; os.system('touch /tmp/pwned')"}, "must be an OpenQASM program"),
    ({"qasm": 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0]\ncx q[0],q[1];\n'},
     "OpenQASM 2 error at line 5"),
    ({"qasm": 'OPENQASM 3.0;\nqubit[2] q;\nbit[2] c;\nfoo q[1];\nc = measure q;\n'},
     "OpenQASM 3 error at line 4"),
    ({"qasm": 'OPENQASM 2.0;\ninclude "qelib1.inc";\ninclude "/etc/passwd";\nqreg q[1];\n'},
     "OpenQASM 2 error at line 3: include '/etc/passwd' is not allowed"),
    ({"qasm": 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'},
     "has no measurements"),
    ({"qasm": BELL_QASM2, "backend": "ibm_nowhere"},
     "unknown backend 'ibm_nowhere'; configured backends: aer, azure-estimator, fast"),
    ({"qasm": BELL_QASM2, "backend": 3}, "backend must be the name of a configured backend"),
    ({"qasm": BELL_QASM2, "shots": 0}, "shots must be a positive integer"),
    ({"qasm": BELL_QASM2, "shots": -5}, "shots must be a positive integer"),
    ({"qasm": BELL_QASM2, "shots": "100"}, "shots must be a positive integer (at most "
                                            "10,000,000), got '100'"),
    ({"qasm": BELL_QASM2, "shots": 1.5}, "shots must be a positive integer"),
    ({"qasm": BELL_QASM2, "shots": True}, "shots must be a positive integer"),
    ({"qasm": BELL_QASM2, "shots": 10**12}, "at most 10,000,000"),
    ({"qasm": BELL_QASM2, "name": ["x"]}, "name must be a string"),
    ({"qasm": BELL_QASM2, "seed": -1}, "seed must be a non-negative integer"),
    ({"qasm": BELL_QASM2, "shot": 100}, "unknown field(s) 'shot'; allowed: qasm, backend, shots"),
]


async def test_bad_submissions_are_400_with_the_reason_and_write_nothing(jp_fetch, store):
    for body, message in BAD_SUBMISSIONS:
        code, data = await call(jp_fetch, "jobs", method="POST", body=body)
        assert code == 400, (body, data)
        assert message in data["error"], (body, data)
        assert job_total(store) == 0, body  # nothing half-written
    _, data = await call(jp_fetch, "jobs", method="POST",
                         body={"qasm": BELL_QASM2, "backend": "nope"})
    assert data["backends"] == ["aer", "azure-estimator", "fast"]
    _, listing = await call(jp_fetch, "jobs")
    assert listing["total"] == 0
    assert not Path("/tmp/pwned").exists()


async def test_huge_bodies_are_413_before_parsing(jp_fetch, store):
    huge = json.dumps({"qasm": "OPENQASM 2.0;\n" + "// padding\n" * 600_000}).encode()
    assert len(huge) > 5 * 1024 * 1024
    code, data = await call(jp_fetch, "jobs", method="POST", body=huge)
    assert code == 413 and "request body too large" in data["error"]

    async def chunks(write) -> None:  # no Content-Length: refused as the body streams in
        for start in range(0, len(huge), 65536):
            await write(huge[start:start + 65536])

    response = await jp_fetch("qnb", "api", "jobs", method="POST", body_producer=chunks,
                              raise_error=False)
    assert response.code == 413 and "too large" in json.loads(response.body)["error"]
    assert job_total(store) == 0
    code, _ = await call(jp_fetch, "jobs")
    assert code == 200  # the server is fine afterwards


# -- cancel ---------------------------------------------------------------------------------
async def test_cancel_queued_is_202_and_cancelled_at_once(jp_fetch, store):
    [job_id] = add_jobs(store, 1, JobStatus.QUEUED)
    code, data = await call(jp_fetch, "jobs", job_id, "cancel", method="POST")
    assert code == 202 and data["status"] == "CANCELLED"
    code, job = await call(jp_fetch, "jobs", job_id)
    assert job["status"] == "CANCELLED" and job["finished_at"] is not None


async def test_cancel_running_is_202_and_asks_the_runner(jp_fetch, store):
    [job_id] = add_jobs(store, 1, JobStatus.QUEUED)
    assert store.claim(job_id) is not None  # a runner has it
    code, data = await call(jp_fetch, "jobs", job_id, "cancel", method="POST")
    assert code == 202 and data == {"id": job_id, "status": "RUNNING", "cancel_requested": True}
    _, job = await call(jp_fetch, "jobs", job_id)
    assert job["cancel_requested"] is True and job["status"] == "RUNNING"


async def test_cancel_finished_is_409_with_its_status(jp_fetch, store):
    [done] = add_jobs(store, 1, JobStatus.DONE)
    [failed] = add_jobs(store, 1, JobStatus.ERROR)
    [cancelled] = add_jobs(store, 1, JobStatus.QUEUED)
    store.request_cancel(cancelled)
    for job_id, status in ((done, "DONE"), (failed, "ERROR"), (cancelled, "CANCELLED")):
        code, data = await call(jp_fetch, "jobs", job_id, "cancel", method="POST")
        assert code == 409 and data["status"] == status
        assert f"job {job_id} has already finished ({status})" in data["error"]
        _, job = await call(jp_fetch, "jobs", job_id)
        assert job["status"] == status


# -- backends -------------------------------------------------------------------------------
async def test_backends_lists_the_configured_profiles(jp_fetch, qnb_home):
    code, data = await call(jp_fetch, "backends")
    assert code == 200 and data["default"] == "aer"
    by_name = {b["name"]: b for b in data["backends"]}
    assert set(by_name) == {"aer", "azure-estimator", "fast"}
    assert by_name["aer"]["default"] is True and by_name["fast"]["default"] is False
    assert by_name["aer"]["provider"] == "aer" and by_name["aer"]["simulator"] is True
    assert by_name["aer"]["num_qubits"] > 20 and by_name["aer"]["reachable"] is True


async def test_broken_configuration_is_a_json_error_naming_the_file(jp_fetch, qnb_home):
    (qnb_home / "config.toml").write_text('[backends.x]\nprovider = "aer"\nmethod = 3\n')
    code, data = await call(jp_fetch, "backends")
    assert code == 500 and "config.toml, line 3: backends.x.method" in data["error"]
    code, data = await call(jp_fetch, "jobs", method="POST", body={"qasm": BELL_QASM2})
    assert code == 500 and "config.toml" in data["error"]


# -- tags, search, filters and CSV ------------------------------------------------------------
def tag_job(store: Store, job_id: str, *tags: str) -> None:
    store.retag(job_id, add=tags)


async def test_list_filters_by_tag_search_and_since_and_shows_tags(jp_fetch, store):
    import dataclasses

    old, new = add_jobs(store, 2, JobStatus.DONE, "aer")  # created 1000 and 999 s ago
    other = dataclasses.replace(store.get(new), id=new_job_id(), backend="fast", name="q",
                                status=JobStatus.QUEUED, created_at=time.time())  # now
    store.import_job(other, "qpy", b"unused")
    other = other.id
    tag_job(store, old, "sweep", "h2")
    tag_job(store, new, "sweep")
    tag_job(store, other, "Calibration")

    async def ids(**params):
        code, page = await call(jp_fetch, "jobs", params=params)
        assert code == 200, page
        return [j["id"] for j in page["jobs"]], page["total"]

    assert await ids(tag="sweep") == ([new, old], 2)
    assert await ids(tag="SWEEP,h2") == ([old], 1)  # comma-separated: every tag
    assert await ids(q="calib") == ([other], 1)  # a tag's text, any case
    assert await ids(q="FAST") == ([other], 1)  # the backend
    assert await ids(q=old[:5]) == ([old], 1)  # the start of the id
    assert await ids(q="aer-DONE-1") == ([new], 1)  # part of the name
    assert await ids(q="sweep", status="DONE", tag="h2") == ([old], 1)
    since = (store.get(old).created_at + store.get(new).created_at) / 2
    assert await ids(since=str(since)) == ([other, new], 2)  # epoch seconds
    assert await ids(since=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since + 0.5)),
                     tag="sweep") == ([new], 1)  # ISO 8601
    assert await ids(since="1h") == ([other, new, old], 3)  # a duration ago
    _, page = await call(jp_fetch, "jobs", params={"tag": "sweep", "limit": 1})
    assert page["jobs"][0]["tags"] == ["sweep"] and page["total"] == 2
    _, job = await call(jp_fetch, "jobs", old)
    assert job["tags"] == ["sweep", "h2"]


@pytest.mark.parametrize("since", ["yesterday", "2026-13-45", "1x"])
async def test_a_bad_since_is_400_naming_the_parameter(jp_fetch, store, since):
    add_jobs(store, 1)
    for path in ("jobs", "jobs.csv"):
        code, data = await call(jp_fetch, path, params={"since": since})
        assert code == 400 and data["error"].startswith(f"since: {since!r} is not a time")


async def test_a_submission_carries_tags_and_bad_tags_write_nothing(jp_fetch, store):
    code, data = await call(jp_fetch, "jobs", method="POST",
                            body={"qasm": BELL_QASM2, "shots": 10, "tags": ["rest", "bell"]})
    assert code == 201, data
    assert store.get(data["id"]).tags == ["rest", "bell"]
    code, data = await call(jp_fetch, "jobs", method="POST",
                            body={"qasm": BELL_QASM2, "tags": ["a,b"]})
    assert code == 400 and "commas" in data["error"]
    code, data = await call(jp_fetch, "jobs", method="POST",
                            body={"qasm": BELL_QASM2, "tags": "x" * 65})
    assert code == 400 and "at most 64 characters" in data["error"]
    assert job_total(store) == 1


async def test_jobs_csv_downloads_the_filtered_jobs(jp_fetch, store):
    import csv
    import io

    done = add_jobs(store, 3, JobStatus.DONE, "aer")
    add_jobs(store, 2, JobStatus.QUEUED, "fast")
    for job_id in done[:2]:
        tag_job(store, job_id, "keep", "run-1")
    response = await jp_fetch("qnb", "api", "jobs.csv", params={"tag": "keep", "q": "aer"},
                              raise_error=False)
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert [r["id"] for r in rows] == done[:2]  # oldest first
    assert rows[0]["tags"] == "keep;run-1" and rows[0]["status"] == "DONE"
    assert rows[0]["backend"] == "aer" and rows[0]["shots"] == "100"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rows[0]["created_at"])
    assert PRIVATE not in response.body.decode()  # no profile options leak
    everything = await jp_fetch("qnb", "api", "jobs.csv", params={"status": "QUEUED,DONE"})
    assert everything.body.decode().count("\n") == 1 + 5
    code, data = await call(jp_fetch, "jobs.csv", params={"status": "sleeping"})
    assert code == 400 and "status must be one of" in data["error"]


# -- authentication -------------------------------------------------------------------------
async def test_every_endpoint_refuses_requests_without_a_token(
        jp_fetch, jp_http_port, jp_base_url, store):
    [queued] = add_jobs(store, 1, JobStatus.QUEUED)
    client = AsyncHTTPClient()
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    submit = json.dumps({"qasm": BELL_QASM2})
    requests = [
        ("GET", "qnb/api/jobs", None), ("GET", f"qnb/api/jobs/{queued}", None),
        ("POST", "qnb/api/jobs", submit), ("POST", f"qnb/api/jobs/{queued}/cancel", ""),
        ("GET", "qnb/api/backends", None), ("GET", "qnb/api/whatever", None),
        ("GET", "qnb/api/jobs.csv", None), ("GET", "qnb/api/usage", None),
        ("GET", "metrics", None),
    ]
    for headers in ({}, {"Authorization": "token wrong-token"}):
        for method, path, body in requests:
            response = await client.fetch(HTTPRequest(base + path, method=method, body=body,
                                                      headers=headers), raise_error=False)
            assert response.code == 403, (method, path, headers, response.code)
            if path.startswith("qnb/"):
                assert "error" in json.loads(response.body)
    assert store.get(queued).status is JobStatus.QUEUED  # the cancel did nothing
    assert job_total(store) == 1  # the submit wrote nothing
    code, _ = await call(jp_fetch, "jobs")  # with the token: fine
    assert code == 200


# -- installation ---------------------------------------------------------------------------
def test_jupyter_lists_the_extension_as_enabled_and_ok():
    """The installed config (``etc/jupyter/jupyter_server_config.d/qnb.json``) enables it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    jupyter = Path(sys.executable).with_name("jupyter")
    out = subprocess.run([str(jupyter), "server", "extension", "list"], capture_output=True,
                         text=True, env=env, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    venv_config = str(Path(sys.prefix) / "etc" / "jupyter")
    section = text.split(f"Config dir: {venv_config}", 1)[1].split("Config dir:", 1)[0]
    assert re.search(r"^\s*qnb enabled\s*$", section, re.MULTILINE), text
    assert re.search(r"^\s*qnb \S+ OK\s*$", section, re.MULTILINE), text


# -- the usage ledger ------------------------------------------------------------------------
async def test_usage_adds_up_the_ledger_by_backend_and_refuses_a_bad_grouping(jp_fetch, store):
    add_jobs(store, 3)
    add_jobs(store, 2, backend="fast")
    add_jobs(store, 1, status=JobStatus.QUEUED)  # not finished: not in the ledger
    code, data = await call(jp_fetch, "usage")
    assert code == 200 and data["by"] == "backend" and data["cost_is_estimate"] is True
    groups = {g["group"]: g for g in data["groups"]}
    assert (groups["aer"]["jobs"], groups["aer"]["shots"]) == (3, 300)
    assert groups["fast"]["jobs"] == 2
    code, data = await call(jp_fetch, "usage", params={"by": "status", "since": "1h"})
    assert code == 200 and [g["group"] for g in data["groups"]] == ["DONE"]
    code, data = await call(jp_fetch, "usage", params={"by": "month"})
    assert code == 400 and data["error"].startswith("by: cannot group usage by 'month'")
    code, data = await call(jp_fetch, "usage", params={"since": "soon"})
    assert code == 400 and data["error"].startswith("since:")


async def test_a_running_job_carries_its_progress_in_the_list_and_alone(jp_fetch, store):
    [running] = add_jobs(store, 1, status=JobStatus.RUNNING)
    [done] = add_jobs(store, 1)
    store.progress(running, 30, 120)
    code, job = await call(jp_fetch, "jobs", running)
    assert code == 200 and job["progress"] == {"done": 30, "total": 120, "phase": None}
    store.progress(running, 30, 120, "transpiling")  # a worker's phase, with its count
    code, job = await call(jp_fetch, "jobs", running)
    assert code == 200 and job["progress"] == {"done": 30, "total": 120, "phase": "transpiling"}
    code, data = await call(jp_fetch, "jobs")
    by_id = {j["id"]: j for j in data["jobs"]}
    assert by_id[running]["progress"] == {"done": 30, "total": 120, "phase": "transpiling"}
    assert by_id[done]["progress"] is None  # it never reported any


# -- pushed changes ------------------------------------------------------------------------------
async def test_the_changes_socket_tells_of_every_write_by_another_process(jp_fetch, jp_ws_fetch,
                                                                        store, qnb_home):
    code, _ = await call(jp_fetch, "jobs")  # the extension is loaded
    assert code == 200
    socket = await jp_ws_fetch("qnb", "api", "changes")
    assert json.loads(await asyncio.wait_for(socket.read_message(), 10)) == {"type": "hello"}
    other = await jp_ws_fetch("qnb", "api", "changes")  # a second sidebar: the same feed
    assert json.loads(await asyncio.wait_for(other.read_message(), 10)) == {"type": "hello"}
    for _ in range(2):
        written = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(add_jobs, store, 1))  # a write from another connection
        for ws in (socket, other):
            message = await asyncio.wait_for(ws.read_message(), 10)
            assert json.loads(message) == {"type": "changed"}
        print(f"pushed {1000 * (time.monotonic() - written):.0f} ms after the write")
    socket.close()
    other.close()


async def test_the_changes_socket_needs_the_token(jp_fetch, jp_http_port, jp_base_url):
    from tornado.httpclient import HTTPClientError
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}qnb/api/changes"
    for headers in ({}, {"Authorization": "token wrong-token"}):
        with pytest.raises(HTTPClientError) as refused:
            await websocket_connect(HTTPRequest(url, headers=headers))
        assert refused.value.code == 403
