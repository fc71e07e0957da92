"""Progress of many-circuit jobs: circuits done out of all, from ``job.progress()``, the
widget's header and REST, written as the worker runs the job in parts that give the same
counts as one run of the whole batch."""

from __future__ import annotations

import time

from helpers import direct_aer_counts, long_circuit

import qnb
from qnb.models import JobRecord, JobStatus
from qnb.notebook.render import job_header_html
from qnb.store import Store, new_job_id


def test_progress_is_kept_only_while_a_job_runs_and_shown_in_its_json(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                    shots=10, num_circuits=50, created_at=time.time())
    store.add_job(rec, "qpy", b"-")
    assert store.progress(rec.id, 1, 50) is False  # not running: nothing written
    assert store.get(rec.id).to_json()["progress"] is None
    store.claim(rec.id)
    assert store.progress(rec.id, 20, 50) is True
    running = store.get(rec.id)
    assert running.progress() == (20, 50)
    assert running.to_json()["progress"] == {"done": 20, "total": 50}
    header = job_header_html(running, time.time())
    assert "20/50 circuits" in header and "role='progressbar'" in header
    assert "var(--jp-brand-color1" in header  # the theme's colours
    store.requeue(rec.id, "re-queued: the runner running it stopped")
    assert store.get(rec.id).progress() is None  # a new run starts from nothing
    store.claim(rec.id)
    store.progress(rec.id, 40, 50)
    store.finish(rec.id, JobStatus.DONE, result={"counts": []})
    assert store.get(rec.id).progress() == (50, 50)
    assert store.events(rec.id)[-1][1] == "DONE"  # progress is not a status change


def test_a_many_circuit_job_reports_its_progress_and_counts_as_one_run_would(qnb_home):
    circuits = [long_circuit(16, 10 + i % 3, name=f"c{i}") for i in range(24)]
    job = qnb.submit(circuits, shots=300, seed=5)
    seen = []
    deadline = time.monotonic() + 300
    while not job.record.is_final and time.monotonic() < deadline:
        now = job.progress()
        if now is not None and (not seen or seen[-1] != now):
            seen.append(now)
        time.sleep(0.02)
    assert job.wait(10) == "DONE", job.error
    assert seen and all(total == 24 for _, total in seen), seen
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # never goes back
    assert any(0 < done < 24 for done, _ in seen), seen  # seen part way
    assert job.progress() == (24, 24)
    assert [job.counts(i) for i in range(24)] == direct_aer_counts(circuits, 300, 5)


def test_a_one_circuit_job_reports_no_progress(qnb_home):
    job = qnb.submit(long_circuit(4, 2), shots=10)
    assert job.wait(120) == "DONE"
    assert job.progress() is None


def done_run(store: Store, *, qubits: int, depth: int, shots: int, circuits: int,
             seconds: float, backend: str = "aer") -> None:
    """An earlier DONE job of this size that ran ``seconds``."""
    end = time.time() - 60
    store.import_job(JobRecord(
        id=new_job_id(), backend=backend, provider="aer", status=JobStatus.DONE, shots=shots,
        num_circuits=circuits, created_at=end - seconds - 1, started_at=end - seconds,
        finished_at=end, summary={"num_qubits": qubits, "depth": depth}), "qpy", b"-")


def test_the_typical_run_comes_from_earlier_runs_of_the_same_size_on_the_backend(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                    shots=1000, num_circuits=40, created_at=time.time(),
                    summary={"num_qubits": 16, "depth": 30})
    for per_circuit in (0.1, 0.2, 0.3):
        done_run(store, qubits=16, depth=30, shots=1000, circuits=10, seconds=10 * per_circuit)
    assert abs(store.typical_run(rec) - 0.2 * 40) < 1e-9  # median per circuit, times 40
    for other in ({"qubits": 17}, {"depth": 60}, {"shots": 5000}, {"backend": "fast"}):
        size = {"qubits": 16, "depth": 30, "shots": 1000, **other}
        done_run(store, circuits=1, seconds=100.0, **size)  # not its size: ignored
    assert abs(store.typical_run(rec) - 8.0) < 1e-9
    fresh = Store(tmp_path / "other.sqlite")
    done_run(fresh, qubits=16, depth=30, shots=1000, circuits=1, seconds=1.0)
    assert fresh.typical_run(rec) is None  # one run is not a habit


def test_a_big_local_job_gets_an_eta_from_earlier_runs_and_the_widget_shows_it(qnb_home):
    from qnb.circuits import summarize
    from qnb.store import get_store

    circuits = [long_circuit(16, 10 + i % 3, name=f"c{i}") for i in range(24)]
    summary = summarize(circuits)
    store = get_store()
    for seconds in (2.0, 3.0, 4.0):  # 24 circuits each: about 3 s for a run of this size
        done_run(store, qubits=summary["num_qubits"], depth=summary["depth"], shots=300,
                 circuits=24, seconds=seconds)
    job = qnb.submit(circuits, shots=300, seed=5)
    deadline = time.monotonic() + 300
    rec = job.refresh()
    while rec.estimated_end is None and not rec.is_final and time.monotonic() < deadline:
        time.sleep(0.02)
        rec = job.refresh()
    assert rec.status == "RUNNING" and rec.estimated_end is not None, rec
    assert abs(rec.estimated_end - (rec.started_at + 3.0)) < 1e-6
    assert "about 2.0 s left" in job_header_html(rec, rec.started_at + 1)
    assert job.wait(300) == "DONE"
    assert job.record.to_json()["estimated_end"] is not None
