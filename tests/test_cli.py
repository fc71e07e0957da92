"""The qnb command line, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

BELL = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
        'h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')


def qnb(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                          text=True, timeout=180)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_submit_wait_jobs_show(qnb_home, tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text(BELL)
    job = json.loads(qnb("submit", str(path), "-s", "500", "--seed", "4", "--wait", "--json").stdout)
    assert job["status"] == "DONE" and job["name"] == "bell" and job["origin"] == "cli"
    assert set(job["counts"][0]) <= {"00", "11"} and sum(job["counts"][0].values()) == 500
    listing = json.loads(qnb("jobs", "--json").stdout)
    assert listing["total"] == 1 and listing["jobs"][0]["id"] == job["id"]
    assert "options" not in listing["jobs"][0] or listing["jobs"][0]["options"] is None
    shown = qnb("show", job["id"]).stdout
    assert "status:    DONE" in shown and "counts[0]:" in shown
    table = qnb("jobs", "--status", "done").stdout
    assert job["id"] in table and "(1 of 1)" in table
    assert "already" not in qnb("cancel", job["id"]).stdout  # prints the final status
    assert "DONE" in qnb("cancel", job["id"]).stdout


def test_cli_errors_are_clear_and_exit_nonzero(qnb_home, tmp_path):
    bad = tmp_path / "bad.qasm"
    bad.write_text(BELL.replace("h q[0];", "h q[0]"))
    proc = qnb("submit", str(bad), check=False)
    assert proc.returncode == 2 and "OpenQASM 2 error at line 6" in proc.stderr
    proc = qnb("submit", str(tmp_path / "missing.qasm"), check=False)
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    proc = qnb("show", "nope", check=False)
    assert proc.returncode == 2 and "no job with id 'nope'" in proc.stderr
    proc = qnb("jobs", "--status", "sleeping", check=False)
    assert proc.returncode == 2 and "unknown status" in proc.stderr
    ok = tmp_path / "ok.qasm"
    ok.write_text(BELL)
    proc = qnb("submit", str(ok), "-b", "nowhere", check=False)
    assert proc.returncode == 2 and "configured backends: aer" in proc.stderr
    assert json.loads(qnb("jobs", "--json").stdout)["total"] == 0


def test_backends_and_runner_status(qnb_home):
    assert "aer" in qnb("backends").stdout
    data = json.loads(qnb("backends", "--json").stdout)
    assert data[0]["name"] == "aer" and data[0]["default"] is True
    assert "no runner is running" in qnb("runner", "--status").stdout


def test_a_closed_pipe_ends_quietly_and_ctrl_c_exits_130(qnb_home, tmp_path):
    import signal
    import time

    from qnb.models import JobRecord, JobStatus
    from qnb.store import get_store, new_job_id

    store = get_store()
    for i in range(3000):  # more lines than a pipe buffer holds
        store.import_job(JobRecord(id=new_job_id(), backend="aer", provider="aer",
                                   status=JobStatus.DONE, shots=1, created_at=time.time(),
                                   name=f"job {i}"), "qpy", b"")
    piped = subprocess.run(f"'{sys.executable}' -m qnb.cli jobs --limit 3000 | head -1",
                           shell=True, capture_output=True, text=True, timeout=120)
    assert piped.stdout.count("\n") == 1
    assert piped.stderr == ""  # no BrokenPipeError traceback
    path = tmp_path / "big.qasm"
    # rotations and entanglers the transpiler cannot cancel (400 layers of `h q` cancel to
    # nothing, so that job could end before the Ctrl-C): many seconds of Aer at 22 qubits
    body = []
    for layer in range(100):
        body += [f"rx({0.1 + 0.01 * (layer + i)}) q[{i}];" for i in range(22)]
        body += [f"cx q[{i}],q[{i + 1}];" for i in range(layer % 2, 21, 2)]
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[22];\ncreg c[22];\n'
                    + "\n".join(body) + "\nmeasure q -> c;\n")
    # as at a terminal: a shell's background job (this suite run with `&`) ignores SIGINT,
    # and Python keeps an ignored SIGINT ignored, so give the command the default back
    waiting = subprocess.Popen([sys.executable, "-m", "qnb.cli", "submit", str(path), "--wait"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    from helpers import wait_for

    wait_for(lambda: store.list(status="RUNNING")[1] or (store.list(status="QUEUED")[1] > 0
             and store.list(limit=1)[0][0].name == "big"), 60, "the job to be queued")
    time.sleep(0.5)
    waiting.send_signal(signal.SIGINT)
    _out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 130
    assert "Traceback" not in err
    # the Ctrl-C came while the job ran: it stopped the wait, not the job
    assert store.list(limit=1)[0][0].status in (JobStatus.QUEUED, JobStatus.RUNNING)


def test_a_status_shows_as_its_plain_name():
    from qnb.models import JobStatus

    assert repr(JobStatus.DONE) == "DONE" and str(JobStatus.QUEUED) == "QUEUED"
