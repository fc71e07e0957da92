"""Jobs at scale, from Python, the magics and the command line: tags, search and filters,
export (CSV, JSON, pandas) and pruning, on the real store, runner and Aer."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time

import pytest
from helpers import bell
from IPython.core.interactiveshell import InteractiveShell
from qiskit.quantum_info import SparsePauliOp

import qnb
from qnb.models import JobRecord, JobStatus, SubmitError, TagError
from qnb.store import new_job_id


def qnb_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                          text=True, timeout=180)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def old_job(store, *, days: float, status: JobStatus = JobStatus.DONE, name: str = "old",
            tags: list[str] | None = None) -> str:
    """A finished job written straight into the store as if created ``days`` ago."""
    created = time.time() - days * 86400
    rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=status, shots=10,
                    created_at=created, name=name, tags=tags or [],
                    started_at=created + 1 if status is not JobStatus.QUEUED else None,
                    finished_at=created + 2 if status.is_final else None)
    store.import_job(rec, "qpy", b"x" * 200_000,
                     {"counts": [{"0": 10}]} if status is JobStatus.DONE else None)
    return rec.id


# -- Python ------------------------------------------------------------------------------
def test_tags_from_submit_are_read_and_edited_through_the_job(qnb_home, store):
    job = qnb.submit(bell(), shots=100, seed=1, tags=["sweep", "h2"])
    assert job.tags == ["sweep", "h2"]
    assert job.wait(120) is JobStatus.DONE
    job.tags = ["final", "h2"]  # a finished job's tags can still change
    assert qnb.get_job(job.id).tags == ["final", "h2"]
    assert job.add_tags("best") == ["final", "h2", "best"]
    assert job.remove_tags("H2") == ["final", "best"]
    assert job.status() is JobStatus.DONE and job.counts() == qnb.get_job(job.id).counts()
    with pytest.raises(TagError, match="commas"):
        job.tags = ["a,b"]
    assert qnb.get_job(job.id).tags == ["final", "best"]  # a refused edit wrote nothing


@pytest.mark.parametrize(("tags", "message"), [
    (["ok", ""], "must not be empty"),
    (["  "], "must not be empty"),
    (["a;b"], "semicolons"),
    (["x" * 65], "at most 64 characters"),
    ([f"t{i}" for i in range(33)], "at most 32 tags"),
    ([1], "must be a string"),
    ({"a": 1}, "must be a list of strings"),
])
def test_bad_tags_are_refused_at_submit_and_write_nothing(qnb_home, store, tags, message):
    with pytest.raises(SubmitError, match=message):
        qnb.submit(bell(), shots=10, tags=tags)
    assert store.list()[1] == 0


def test_primitives_tag_their_jobs_beside_or_inside_options(qnb_home):
    sampler = qnb.Sampler(tags=["prim"], options={"tags": ["from-options"], "seed": 3})
    job = sampler.run([(bell(),)], shots=50)
    assert job.tags == ["prim", "from-options"]
    # the tags are the job's, not an option of the backend's primitive
    assert "tags" not in job.record.options["run"].get("primitive_options", {})
    est = qnb.Estimator(options={"tags": ["vqe"]}).run([(bell(measure=False),
                                                        SparsePauliOp("ZZ"))])
    assert est.tags == ["vqe"]
    assert est.result()[0].data.evs == pytest.approx(1.0, abs=0.1)
    assert job.result()[0].data.meas.num_shots == 50
    with pytest.raises(TagError):
        qnb.Sampler(tags=[""])


def test_jobs_filters_by_tag_search_session_and_since(qnb_home, store):
    a = old_job(store, days=10, name="VQE step 1", tags=["vqe", "h2"])
    b = old_job(store, days=1, name="VQE step 2", tags=["vqe"])
    c = old_job(store, days=0.01, name="bell check", tags=["calib"])

    def ids(**kw):
        return [j.id for j in qnb.jobs(**kw)]

    assert ids(tag="vqe") == [b, a]  # newest first
    assert ids(tag=["vqe", "H2"]) == [a]
    assert ids(search="step") == [b, a] and ids(search="CALIB") == [c]
    assert ids(search=c[:6]) == [c]
    assert ids(since="2d") == [c, b]
    assert ids(since=time.time() - 3600) == [c]
    from datetime import UTC, datetime, timedelta

    assert ids(since=datetime.now(UTC) - timedelta(days=5), tag="vqe") == [b]
    assert ids(status="done", search="vqe") == [b, a]
    with qnb.session() as s:
        inside = qnb.submit(bell(), shots=10, tags=["in-session"])
    assert ids(session=s) == [inside.id] == ids(session=s.id, tag="in-session")
    with pytest.raises(SubmitError, match="since: 'yesterday' is not a time"):
        qnb.jobs(since="yesterday")
    inside.wait(120)


def test_jobs_frame_has_the_export_columns_with_results(qnb_home, store):
    import pandas as pd

    job = qnb.submit(bell(), shots=200, seed=2, tags=["frame"])
    est = qnb.submit((bell(measure=False), SparsePauliOp(["ZZ", "XX"])), tags=["frame"])
    old_job(store, days=3, tags=["other"])
    assert job.wait(120) is JobStatus.DONE and est.wait(120) is JobStatus.DONE
    df = qnb.jobs_frame(tag="frame", counts=True)
    assert list(df.columns) == ["id", "name", "backend", "status", "shots", "num_circuits",
                                "tags", "session", "created_at", "started_at", "finished_at",
                                "error", "owner", "counts", "evs", "stds"]
    assert list(df["id"]) == [job.id, est.id]  # oldest first
    assert list(df["tags"]) == [["frame"], ["frame"]]
    assert str(df["created_at"].dtype).startswith("datetime64")
    assert str(df["created_at"].dt.tz) == "UTC"
    assert (df["finished_at"] >= df["started_at"]).all()
    assert df.loc[0, "counts"] == [job.counts()]
    assert df.loc[0, "evs"] is None
    assert df.loc[1, "evs"] == [pytest.approx(2.0, abs=0.2)]  # <ZZ + XX> of a Bell state
    plain = qnb.jobs_frame()
    assert len(plain) == 3 and "counts" not in plain.columns
    assert isinstance(plain, pd.DataFrame)


# -- the magics --------------------------------------------------------------------------
@pytest.fixture
def shell(qnb_home):
    sh = InteractiveShell.instance()
    sh.run_cell("%load_ext qnb", store_history=False)
    yield sh
    sh.user_ns.pop("job", None)


def test_qsubmit_tags_and_qjobs_filters(shell, capsys, store):
    cell = ("%%qsubmit -s 100 -o job --tag sweep -t 'point 3'\n"
            "from qiskit import QuantumCircuit\nqc = QuantumCircuit(1); qc.x(0); qc.measure_all(); qc")
    result = shell.run_cell(cell, store_history=False)
    assert result.success, result.error_in_exec
    job = shell.user_ns["job"]
    assert job.tags == ["sweep", "point 3"]
    result = shell.run_cell("%qsubmit qc -s 10 --tag line", store_history=False)
    assert result.result.tags == ["line"]
    job.wait(120)
    table = shell.run_cell("%qjobs --tag SWEEP", store_history=False).result
    assert job.id in table.text and "[sweep] [point 3]" in table.text
    assert result.result.id not in table.text and "(1 of 1 jobs)" in table.text
    table = shell.run_cell("%qjobs --search lin", store_history=False).result
    assert result.result.id in table.text and job.id not in table.text
    capsys.readouterr()
    bad = shell.run_cell("%qsubmit qc -s 10 --tag a,b", store_history=False)
    assert not bad.success
    out, err = capsys.readouterr()
    assert "UsageError" in out + err and "commas" in out + err
    bad = shell.run_cell("%qjobs --since someday", store_history=False)
    out, err = capsys.readouterr()
    assert "UsageError" in out + err and "--since: 'someday' is not a time" in out + err
    assert store.list()[1] == 2  # the refused submit wrote nothing
    result.result.wait(120)


# -- the command line -------------------------------------------------------------------
def test_cli_tags_filters_and_export(qnb_home, store, tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
                    'h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')
    old = old_job(store, days=40, name="ancient", tags=["x"])
    job = json.loads(qnb_cli("submit", str(path), "-s", "100", "--seed", "3", "--tag", "cli",
                             "--wait", "--json").stdout)
    assert job["tags"] == ["cli"] and job["status"] == "DONE"

    assert qnb_cli("tag", job["id"], "+keep", "-cli", "extra").stdout.strip() == \
        f"{job['id']}: keep, extra"
    assert qnb_cli("tag", job["id"]).stdout.strip() == f"{job['id']}: keep, extra"
    assert "tags:      keep, extra" in qnb_cli("show", job["id"]).stdout
    refused = qnb_cli("tag", job["id"], "+a,b", check=False)
    assert refused.returncode == 2 and "commas" in refused.stderr
    assert store.get(job["id"]).tags == ["keep", "extra"]

    listing = json.loads(qnb_cli("jobs", "--tag", "KEEP", "--json").stdout)
    assert [j["id"] for j in listing["jobs"]] == [job["id"]]
    assert listing["jobs"][0]["tags"] == ["keep", "extra"]
    table = qnb_cli("jobs", "--search", "anc").stdout
    assert old in table and job["id"] not in table and "[x]" in table
    assert json.loads(qnb_cli("jobs", "--since", "7d", "--json").stdout)["total"] == 1
    bad = qnb_cli("jobs", "--since", "last week", check=False)
    assert bad.returncode == 2 and "since: 'last week' is not a time" in bad.stderr

    rows = list(csv.DictReader(io.StringIO(qnb_cli("export", "--format", "csv",
                                                   "--counts").stdout)))
    assert [r["id"] for r in rows] == [old, job["id"]]  # oldest first
    assert rows[1]["tags"] == "keep;extra" and rows[1]["status"] == "DONE"
    assert rows[1]["shots"] == "100" and rows[1]["created_at"].endswith("Z")
    assert json.loads(rows[1]["counts"]) == [store.result(job["id"])["counts"][0]]
    assert rows[0]["started_at"] < rows[0]["finished_at"]
    data = json.loads(qnb_cli("export", "--format", "json", "--tag", "x").stdout)
    assert [d["id"] for d in data] == [old] and data[0]["tags"] == ["x"]
    assert "counts" not in data[0]
    assert json.loads(qnb_cli("export", "--format", "json", "--search", "nothing").stdout) == []


def test_cli_prune_removes_old_finished_jobs_only_and_reclaims_space(qnb_home, store):
    gone = [old_job(store, days=40) for _ in range(5)]
    failed = old_job(store, days=40, status=JobStatus.ERROR)
    waiting = old_job(store, days=40, status=JobStatus.QUEUED)
    recent = old_job(store, days=2)
    size = store.disk_bytes()

    out = qnb_cli("prune", "--older-than", "30d", "--status", "DONE", "--dry-run").stdout
    assert out.startswith("would remove 5 DONE job(s)")
    out = qnb_cli("prune", "--older-than", "30d", "--status", "DONE").stdout
    assert out.startswith("removed 5 DONE job(s)") and "reclaimed" in out
    left = {r.id for r in store.list(limit=100)[0]}
    assert left == {failed, waiting, recent} and not left & set(gone)
    assert store.disk_bytes() < size
    refused = qnb_cli("prune", "--older-than", "30d", "--status", "QUEUED", check=False)
    assert refused.returncode == 2 and "only finished jobs" in refused.stderr
    assert qnb_cli("prune", "--older-than", "30d").stdout.startswith(
        "removed 1 DONE/ERROR/CANCELLED job(s)")
    assert {r.id for r in store.list(limit=100)[0]} == {waiting, recent}
    bad = qnb_cli("prune", "--older-than", "a month", check=False)
    assert bad.returncode == 2 and "not a duration" in bad.stderr
