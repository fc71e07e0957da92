"""What the notebook user feels: submit latency, end-to-end latency, kernel responsiveness,
and the cost of ``%load_ext qnb``."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

from .common import bell, fresh_home, ghz, summary


def submit_latency(quick: bool) -> dict[str, Any]:
    """Time for ``%%qsubmit`` to return in a real IPython shell, 2- and 20-qubit circuits."""
    from IPython.core.interactiveshell import InteractiveShell

    n = 10 if quick else 60
    out = {}
    with fresh_home():
        shell = InteractiveShell.instance()
        shell.run_cell("%load_ext qnb", store_history=False)
        shell.user_ns.update(b2=ghz(2), b20=ghz(20))
        shell.run_cell("%qsubmit b2 -s 10", store_history=False, silent=True)  # warm
        for label, var in (("2q", "b2"), ("20q", "b20")):
            samples = []
            for _ in range(n):
                t0 = time.perf_counter()
                result = shell.run_cell(f"%%qsubmit -s 100\n{var}", store_history=False,
                                        silent=True)
                samples.append(time.perf_counter() - t0)
                assert result.success, result.error_in_exec
            out[label] = summary(samples)
        import qnb

        for job in qnb.jobs(limit=1000):
            job.wait(timeout=600)
    return out


def end_to_end(quick: bool) -> dict[str, Any]:
    """Bell circuit from submit to DONE visible in the submitting process, warm runner."""
    import qnb

    n = 8 if quick else 40
    with fresh_home():
        for _ in range(3):
            qnb.submit(bell(), shots=100).wait(timeout=300)  # warm runner and both workers
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            qnb.submit(bell(), shots=1000).result(timeout=300)
            samples.append(time.perf_counter() - t0)
    return summary(samples)


def load_ext(quick: bool) -> dict[str, Any]:
    """``%load_ext qnb`` in a fresh IPython shell (each in a new process)."""
    n = 3 if quick else 10
    code = ("import time\nfrom IPython.core.interactiveshell import InteractiveShell\n"
            "sh = InteractiveShell.instance()\nt = time.perf_counter()\n"
            "sh.run_cell('%load_ext qnb')\nprint(time.perf_counter() - t)\n")
    samples = []
    for _ in range(n):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True)
        samples.append(float(proc.stdout.strip().splitlines()[-1]))
    return summary(samples)


def runner_cold_start(quick: bool) -> dict[str, Any]:
    """From the first submit (no runner) to that Bell job DONE, and to the runner's heartbeat."""
    import qnb
    from qnb.runner.control import RunnerFiles, stop_runner

    n = 2 if quick else 5
    done, ready = [], []
    for _ in range(n):
        with fresh_home() as home:
            t0 = time.perf_counter()
            job = qnb.submit(bell(), shots=100)
            info = RunnerFiles(home).info
            while not info.exists():
                time.sleep(0.005)
            ready.append(time.perf_counter() - t0)
            job.wait(timeout=300)
            done.append(time.perf_counter() - t0)
            stop_runner(home)
    return {"heartbeat": summary(ready), "first_job_done": summary(done)}


KERNEL_DIRECT_SETUP = """
from qiskit import transpile
from qiskit_aer import AerSimulator
_sim = AerSimulator(method="statevector")
_compiled = transpile(_qc, _sim)
"""
KERNEL_DIRECT = "_sim.run(_compiled, shots=1).result()"  # what a user runs in a cell


def kernel_responsiveness(quick: bool) -> dict[str, Any]:
    """Round trip of a trivial cell in a real kernel: idle, while 1 / 10 / 100 jobs run
    (one of them a 24-qubit statevector job), and with Aer called directly in the kernel."""
    import os

    from jupyter_client.manager import KernelManager

    import qnb

    def round_trips(kc: Any, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            reply = kc.execute_interactive("1 + 1", timeout=600)
            assert reply["content"]["status"] == "ok"
            out.append(time.perf_counter() - t0)
        return out

    n = 5 if quick else 20
    loads = (1, 10) if quick else (1, 10, 100)
    results: dict[str, Any] = {}
    with fresh_home() as home:
        km = KernelManager(kernel_name="python3")
        km.start_kernel(env=dict(os.environ, QNB_HOME=str(home)))
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
            kc.execute_interactive("%load_ext qnb\nimport qnb, sys\n"
                                   f"sys.path.insert(0, {os.path.dirname(os.path.dirname(__file__))!r})\n"
                                   "from bench.common import wide_statevector, ghz\n"
                                   "_qc = wide_statevector(24, 12)", timeout=120)
            qnb.submit(bell(), shots=10).wait(timeout=300)  # warm runner
            results["idle"] = summary(round_trips(kc, n))
            for load in loads:
                kc.execute_interactive(
                    f"_jobs = [qnb.submit(_qc, shots=1)] + [qnb.submit(ghz(12), shots=2000) "
                    f"for _ in range({load - 1})]", timeout=120)
                samples = round_trips(kc, n)
                kc.execute_interactive("[j.cancel() for j in _jobs]", timeout=120)
                for job in qnb.jobs(limit=load + 5):
                    job.wait(timeout=600)
                results[f"{load}_jobs"] = summary(samples)
            # The status quo: the same job run by Aer in a cell. A trivial cell sent 0.3 s
            # later waits until the job is done.
            kc.execute_interactive(KERNEL_DIRECT_SETUP, timeout=600)
            samples = []
            for _ in range(3):
                kc.execute(KERNEL_DIRECT)
                time.sleep(0.3)
                samples += round_trips(kc, 1)
                round_trips(kc, 1)  # the kernel is idle again
            results["direct_aer_in_kernel"] = summary(samples)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    results["note"] = ("jobs = one 24-qubit statevector job plus small 12-qubit jobs; direct = "
                       "the same 24-qubit job run by Aer in a cell, the trivial cell sent 0.3 s later")
    return results


def median_ms(d: dict[str, Any]) -> float:
    return d["median_ms"]


__all__ = [
    "end_to_end",
    "kernel_responsiveness",
    "load_ext",
    "runner_cold_start",
    "statistics",
    "submit_latency",
]
