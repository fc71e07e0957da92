"""The magics through a real IPython shell (in-process)."""

from __future__ import annotations

import pytest
from helpers import bell, ghz
from IPython.core.interactiveshell import InteractiveShell

import qnb
from qnb.job import Job
from qnb.models import JobStatus


@pytest.fixture
def shell(qnb_home):
    sh = InteractiveShell.instance()
    sh.run_cell("%load_ext qnb", store_history=False)
    yield sh
    sh.user_ns.pop("job", None)


def run(shell, capsys, cell: str):
    result = shell.run_cell(cell, store_history=False)
    out, err = capsys.readouterr()
    return result, out + err


def n_jobs(store) -> int:
    return store.list(limit=1)[1]


GHZ20 = """%%qsubmit -s 2000 -o job --seed 9
from qiskit import QuantumCircuit
qc = QuantumCircuit(20); qc.h(0)
for i in range(19): qc.cx(i, i + 1)
qc.measure_all(); qc
"""


def test_cell_magic_returns_the_job_at_once_and_binds_it(shell, capsys, store):
    result, _ = run(shell, capsys, GHZ20)
    assert result.success
    job = shell.user_ns["job"]
    assert isinstance(job, Job) and result.result is job
    assert job.status() in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE)
    counts = job.result(timeout=120).get_counts()
    assert set(counts) <= {"0" * 20, "1" * 20} and sum(counts.values()) == 2000
    assert shell.user_ns["qc"].num_qubits == 20  # the cell ran in the user's namespace


def test_openqasm_cell_and_line_magic(shell, capsys, store):
    result, _ = run(shell, capsys, "%%qsubmit -o job -s 100\nOPENQASM 2.0;\n"
                    'include "qelib1.inc";\nqreg q[1];\ncreg c[1];\nx q[0];\nmeasure q -> c;\n')
    assert result.success, result.error_in_exec
    assert shell.user_ns["job"].counts() == {"1": 100}
    run(shell, capsys, "from qiskit import QuantumCircuit\nqc2 = QuantumCircuit(1); qc2.measure_all()")
    result, _ = run(shell, capsys, "%qsubmit qc2 -s 50 -n zero")
    assert result.success, result.error_in_exec
    assert result.result.counts() == {"0": 50} and result.result.name == "zero"
    result, _ = run(shell, capsys, '%qsubmit qc2 -s 5 -n "two words"')
    assert result.result.name == "two words"  # the shell's quotes are not part of the name
    result, _ = run(shell, capsys, "%qsubmit [qc2, qc2] -s 10 --wait")
    assert result.result.status() is JobStatus.DONE and len(result.result.result()) == 2


def test_python_error_in_the_cell_shows_its_traceback_and_writes_no_job(shell, capsys, store):
    result, text = run(shell, capsys, "%%qsubmit\nx = 1\ny = x / 0\nx")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert "ZeroDivisionError" in text and "y = x / 0" in text
    assert n_jobs(store) == 0


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%qsubmit\nvalue = 5\nvalue", "got int"),
        ("%%qsubmit\nvalue = 5", "last line must be an expression"),
        ("%%qsubmit -s 0\nfrom qiskit import QuantumCircuit\nq = QuantumCircuit(1)\n"
         "q.measure_all(); q", "shots must be a positive integer (at most 10,000,000), got 0"),
        ("%%qsubmit -s -3\nfrom qiskit import QuantumCircuit\nq = QuantumCircuit(1)\n"
         "q.measure_all(); q", "shots must be a positive integer (at most 10,000,000), got -3"),
        ("%%qsubmit -s ten\nfrom qiskit import QuantumCircuit\nq = QuantumCircuit(1)\n"
         "q.measure_all(); q", "shots (-s) must be an integer, got 'ten'"),
        ("%%qsubmit -b nowhere\nfrom qiskit import QuantumCircuit\nq = QuantumCircuit(1)\n"
         "q.measure_all(); q", "unknown backend 'nowhere'; configured backends: aer"),
        ("%%qsubmit\nfrom qiskit import QuantumCircuit\nq = QuantumCircuit(2)\nq.h(0); q",
         "has no measurements"),
        ("%%qsubmit\nOPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0]\nmeasure q;",
         "OpenQASM 2 error at line 5"),
        ("%%qsubmit\nfrom qiskit import QuantumCircuit\nq = QuantumCircuit(40)\n"
         "q.h(0); q.measure_all(); q", "has 40 qubits but backend 'aer' takes at most"),
        ("%qsubmit", "needs an expression"),
    ],
)
def test_user_mistakes_are_usage_errors_and_write_no_job(shell, capsys, store, cell, message):
    result, text = run(shell, capsys, cell)
    assert not result.success
    assert "UsageError" in text and message in text, text
    assert n_jobs(store) == 0


def test_qjobs_qresult_qcancel_and_qbackend(shell, capsys, store):
    run(shell, capsys, GHZ20)
    job = shell.user_ns["job"]
    job.wait(timeout=120)
    result, _ = run(shell, capsys, "%qjobs")
    table = result.result
    assert job.id in table.html and "DONE" in table.html and job.id in table.text
    result, _ = run(shell, capsys, f"%qresult {job.id} -o res")
    assert result.result.id == job.id
    assert shell.user_ns["res"].get_counts() == job.counts()
    result, text = run(shell, capsys, f"%qcancel {job.id}")
    assert "already ended DONE" in text
    result, text = run(shell, capsys, "%qresult 000000000000")
    assert "UsageError" in text and "no job with id" in text
    result, _ = run(shell, capsys, "%qbackend")
    assert "aer" in result.result._repr_html_() and "★" in result.result._repr_html_()
    result, text = run(shell, capsys, "%qbackend nowhere")
    assert "unknown backend 'nowhere'" in text
    result, text = run(shell, capsys, "%qbackend aer")
    assert "default backend for this kernel: aer" in text


def test_qcompare_overlays_jobs_by_id_or_variable_and_binds_the_comparison(shell, capsys, store):
    a = qnb.submit(bell(), shots=500, seed=1, name="a")
    shell.user_ns["other"] = qnb.submit(ghz(2), shots=500, seed=4, name="g")
    result, text = run(shell, capsys, f"%qcompare {a.id} other -o cmp")
    assert result.success, text
    cmp = shell.user_ns["cmp"]
    assert cmp is result.result and cmp.labels == ["a", "g"]
    p, q = a.counts(), shell.user_ns["other"].counts()
    assert cmp.tvd["a", "g"] == pytest.approx(
        0.5 * sum(abs(p.get(k, 0) - q.get(k, 0)) / 500 for k in {*p, *q}))
    assert f"a vs g  TVD {cmp.tvd['a', 'g']:.4f}" in text  # what the cell shows
    result, text = run(shell, capsys, f"%qcompare {a.id}")
    assert "UsageError" in text and "two or more" in text
    result, text = run(shell, capsys, f"%qcompare {a.id} 000000000000")
    assert "UsageError" in text and "no job with id" in text
