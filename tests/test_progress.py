"""Progress of many-circuit jobs: the phase (transpiling, then simulating) and its circuits
done out of all, from ``job.progress()`` / ``job.progress_phase()``, the widget's header and
REST, written as the worker transpiles and runs the job in parts that give the same counts as
one run of the whole batch."""

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
    assert running.to_json()["progress"] == {"done": 20, "total": 50, "phase": None}
    header = job_header_html(running, time.time())
    assert "20/50 circuits" in header and "role='progressbar'" in header
    assert "var(--jp-brand-color1" in header  # the theme's colours
    store.progress(rec.id, 20, 50, "transpiling")  # the phase with its count, in one step
    running = store.get(rec.id)
    assert running.progress_phase() == "transpiling"
    assert running.to_json()["progress"] == {"done": 20, "total": 50, "phase": "transpiling"}
    header = job_header_html(running, time.time())
    assert "transpiling 20/50 circuits" in header
    assert header.count("transpiling") == 2  # the bar's text and its accessible value only
    store.requeue(rec.id, "re-queued: the runner running it stopped")
    assert store.get(rec.id).progress() is None  # a new run starts from nothing
    store.claim(rec.id)
    store.progress(rec.id, 40, 50)
    store.finish(rec.id, JobStatus.DONE, result={"counts": []})
    assert store.get(rec.id).progress() == (50, 50)
    assert store.get(rec.id).progress_phase() is None  # ended: no phase
    assert store.events(rec.id)[-1][1] == "DONE"  # progress is not a status change


def test_a_many_circuit_job_reports_its_progress_and_counts_as_one_run_would(qnb_home):
    circuits = [long_circuit(16, 10 + i % 3, name=f"c{i}") for i in range(24)]
    job = qnb.submit(circuits, shots=300, seed=5)
    seen = []
    deadline = time.monotonic() + 300
    while not job.record.is_final and time.monotonic() < deadline:
        rec = job.refresh()
        now = (rec.progress_phase(), rec.progress()) if rec.status == "RUNNING" else None
        if now is not None and now[1] is not None and (not seen or seen[-1] != now):
            seen.append(now)
        time.sleep(0.02)
    assert job.wait(10) == "DONE", job.error
    assert seen and all(total == 24 for _, (_, total) in seen), seen
    run = [done for phase, (done, _) in seen if phase == "simulating"]
    assert run == sorted(run), seen  # never goes back
    assert any(0 < done < 24 for done in run), seen  # seen part way
    assert job.progress() == (24, 24)
    assert [job.counts(i) for i in range(24)] == direct_aer_counts(circuits, 300, 5)


def phased_circuits() -> list:
    """A job whose transpile takes seconds (quantum volume circuits) and whose run takes
    seconds (wide non-Clifford circuits): each phase is long enough to be seen."""
    from qiskit.circuit.library import quantum_volume

    slow_to_transpile = [quantum_volume(10, seed=i) for i in range(20)]
    for qc in slow_to_transpile:
        qc.measure_all()
    return slow_to_transpile + [long_circuit(16, 10 + i % 3, name=f"c{i}") for i in range(20)]


def test_a_worker_reports_transpiling_then_simulating_part_by_part(qnb_home, monkeypatch):
    """What the worker writes for a 40-circuit job: the transpile's parts, then the run's,
    each phase counted from 0 to 40 (every part: no interval between writes here)."""
    from qnb import progress
    from qnb.backends import simulator
    from qnb.store import get_store

    monkeypatch.setattr(progress, "MIN_INTERVAL", 0.0)
    store = get_store()
    rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                    shots=10, num_circuits=40, created_at=time.time())
    store.add_job(rec, "qpy", b"-")
    store.claim(rec.id)
    written = []  # (phase, done, total) as a reader sees them after each write
    real_progress = store.progress

    def recording(job_id: str, done: int, total: int, phase: str | None = None) -> bool:
        wrote = real_progress(job_id, done, total, phase)
        written.append((store.get(job_id).progress_phase(), *store.get(job_id).progress()))
        return wrote

    monkeypatch.setattr(store, "progress", recording)
    circuits = [long_circuit(4, 2 + i % 3, name=f"c{i}") for i in range(40)]
    with progress.reporting(qnb_home, rec.id):
        out = simulator.run_circuits(simulator.simulator({}), circuits, shots=100, seed=3,
                                     optimization_level=None)
    assert [w[0] for w in written] == ["transpiling"] * 11 + ["simulating"] * 11
    assert [w[1] for w in written] == [*range(0, 41, 4), *range(0, 41, 4)]
    assert {w[2] for w in written} == {40}
    assert out["counts"] == direct_aer_counts(circuits, 100, 3)


def test_a_long_transpile_shows_its_phase_and_progress_from_the_start(qnb_home):
    """The issue's job: seconds of transpiling before any circuit runs. Its progress says
    so from the start ("transpiling 4/40"), then counts the run ("simulating 20/40"), in
    ``job.progress()``, REST's JSON and the widget's header."""
    circuits = phased_circuits()
    job = qnb.submit(circuits, shots=300, seed=5)
    seen: list[tuple[str | None, int, int]] = []
    headers = {}
    deadline = time.monotonic() + 300
    while not job.record.is_final and time.monotonic() < deadline:
        rec = job.refresh()
        known = rec.progress()
        if known is not None and rec.status == "RUNNING":
            now = (rec.progress_phase(), *known)
            if not seen or seen[-1] != now:
                seen.append(now)
                assert rec.to_json()["progress"] == {"done": now[1], "total": now[2],
                                                     "phase": now[0]}
                headers.setdefault(now[0], job_header_html(rec, time.time()))
        time.sleep(0.02)
    assert job.wait(10) == "DONE", job.error
    phases = [phase for phase, _, _ in seen]
    assert phases[0] == "transpiling" and "simulating" in phases, seen
    assert phases == sorted(phases, key=["transpiling", "simulating"].index), seen  # in order
    assert any(p == "transpiling" and 0 < done < 40 for p, done, _ in seen), seen
    for phase in ("transpiling", "simulating"):
        counts = [done for p, done, _ in seen if p == phase]
        assert counts == sorted(counts), seen  # never goes back within a phase
        assert f"{phase} " in headers[phase] and "/40 circuits" in headers[phase]
    assert job.progress() == (40, 40) and job.progress_phase() is None
    assert [job.counts(i) for i in range(40)] == direct_aer_counts(circuits, 300, 5)


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
