"""The magics in a real kernel (jupyter_client): non-blocking, responsive, restart-proof."""

from __future__ import annotations

import statistics

from helpers import wait_for
from kernel_helpers import execute, round_trip, running_kernel, text_of

from qnb.models import JobStatus
from qnb.store import get_store

WIDE = """%%qsubmit -s 1 -o job -n wide
from qiskit import QuantumCircuit
qc = QuantumCircuit(24)
for layer in range(12):
    for q in range(24):
        qc.rx(0.1 * (layer + 1), q)
    for q in range(23):
        qc.cx(q, q + 1)
qc.measure_all(); qc
"""


def wait_status(store, job_id, wanted, timeout=120):
    def reached():
        status = store.get(job_id).status
        return status if status in wanted else None

    return wait_for(reached, timeout, interval=0.02,
                    what=lambda: f"job {job_id} to reach {wanted}; it is {store.get(job_id).status}")


def job_id_of(kc) -> str:
    _reply, outputs = execute(kc, "print(job.id)")
    return text_of(outputs).strip()


def test_qsubmit_in_a_kernel_returns_a_live_widget_and_the_result(qnb_home):
    with running_kernel() as (_, kc):
        reply, _ = execute(kc, "%load_ext qnb")
        assert reply["status"] == "ok"
        reply, outputs = execute(kc, "%%qsubmit -s 2000 -o job\nfrom qiskit import QuantumCircuit\n"
                                 "qc = QuantumCircuit(20); qc.h(0)\n"
                                 "for i in range(19): qc.cx(i, i + 1)\nqc.measure_all(); qc")
        assert reply["status"] == "ok"
        shown = next(o for o in outputs if o["type"] == "display_data")
        assert "application/vnd.jupyter.widget-view+json" in shown["data"]
        assert shown["data"]["text/plain"].startswith("<Job ")
        assert shown["transient"]["display_id"]  # the kernel replaces it when the job ends
        reply, outputs = execute(kc, "r = job.result(timeout=120)\n"
                                 "print(sorted(r.get_counts()), sum(job.counts().values()))")
        assert text_of(outputs).strip() == f"['{'0' * 20}', '{'1' * 20}'] 2000"


def test_kernel_answers_while_a_24_qubit_statevector_job_runs(qnb_home):
    store = get_store()
    with running_kernel() as (_, kc):
        execute(kc, "%load_ext qnb")
        idle = statistics.median(round_trip(kc) for _ in range(5))
        reply, _ = execute(kc, WIDE)
        assert reply["status"] == "ok"
        job_id = job_id_of(kc)
        wait_status(store, job_id, {JobStatus.RUNNING})
        busy = [round_trip(kc) for _ in range(7)]
        still_running = store.get(job_id).status is JobStatus.RUNNING
        assert still_running, "the job ended before the measurement: make it longer"
        # Aer in the kernel would block each of these for the whole job (seconds);
        # through qnb the kernel answers in the time of an idle round trip.
        assert statistics.median(busy) < 0.1, (idle, busy)
        assert wait_status(store, job_id, {JobStatus.DONE, JobStatus.ERROR}, 300) is JobStatus.DONE


def test_jobs_survive_a_kernel_restart_and_finish_in_the_runner(qnb_home):
    store = get_store()
    with running_kernel() as (km, kc):
        execute(kc, "%load_ext qnb")
        execute(kc, WIDE)
        job_id = job_id_of(kc)
        wait_status(store, job_id, {JobStatus.RUNNING})
        km.restart_kernel(now=True)
        kc.wait_for_ready(timeout=60)
        reply, outputs = execute(
            kc, f"import qnb\nj = qnb.get_job('{job_id}')\nprint(j.wait(timeout=300), "
            "sum(j.counts().values()))\n%load_ext qnb\n", timeout=320)
        assert reply["status"] == "ok", text_of(outputs)
        assert text_of(outputs).strip() == "DONE 1"
        reply, outputs = execute(kc, "%qjobs")
        table = next(o for o in outputs if o["type"] == "display_data")
        assert job_id in table["data"]["text/plain"] and job_id in table["data"]["text/html"]
        assert "DONE" in table["data"]["text/html"]
