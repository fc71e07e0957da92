"""Chaos under load: 2,000 mixed jobs in one QNB_HOME while runners, worker processes,
submitting kernels and Jupyter servers are killed at random, 20 times over.

The workload: small local Aer jobs (Bell, GHZ) and a few heavier ones submitted from this
process in batches, more from a real kernel (through ``qnb.submit`` and ``%qsubmit``), a
few through the REST API of a separate Jupyter server, remote jobs on the ``delayed``
provider, a handful of Dask jobs on a ``LocalCluster`` qnb starts, random cancels, and a
few poisonous jobs (an unknown gate) that must end in ERROR. A seeded driver kills the
runner's process group (then starts a runner, as the next submit would), a worker process
of the runner, the submitting kernel (another one takes over) and the Jupyter server
(another one is started on the same home).

Afterwards every job has ended exactly once, none in ERROR but the poisonous ones and the
remote jobs caught in the hand-over to the service (by design: they may or may not have
reached it), no submitted job is missing, the store is intact, and once the runner,
kernels and servers are stopped no process of this home is left.

The same chaos runs on a shared PostgreSQL store with three homes (three machines), a
runner serving each and one ``delayed`` service folder they all reach (a cloud): the kills
hit the runner and the workers of any home (the killed runner's home starts another, as a
submit there would), kernels and servers take turns among the homes, and the remote jobs a
killed runner followed are adopted by another runner once its short lease has expired.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import signal
import sqlite3
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from fault_helpers import busy_workers, kill_runner_group, pool_workers, runner_pid
from helpers import assert_store_intact, bell, ghz, isolated_home, long_circuit, wait_for
from kernel_helpers import execute, running_kernel, text_of
from shared_homes import shared_homes

SEED = int(os.environ.get("QNB_CHAOS_SEED") or 20261121)  # another seed: another chaos
TOTAL_JOBS = 2000
KILLS = ("runner",) * 6 + ("worker",) * 6 + ("kernel",) * 4 + ("server",) * 4
KERNEL_JOBS = 240  # recorded by the kernels (a killed one may write one or two unrecorded)
REMOTE_JOBS = 150
REMOTE_POISON = 2
LOCAL_POISON = 10
DASK_JOBS = 4
HEAVY_JOBS = 20
BATCHES = 40
MAX_ATTEMPTS = MAX_CRASHES = 50
STALL_SECONDS = 120  # no job finishing for this long, with work left: stuck
LEASE_SECONDS = 3  # on the shared store: a killed runner's jobs are taken over after this
FOLLOW_SECONDS = 20  # on the shared store: how long a runner kill waits for remote jobs


@dataclass(frozen=True)
class Variant:
    """Where the chaos runs: one home (on SQLite), or three homes sharing PostgreSQL."""

    homes: int
    total_jobs: int = TOTAL_JOBS
    kernel_jobs: int = KERNEL_JOBS

    @property
    def shared(self) -> bool:
        return self.homes > 1


SQLITE = Variant(homes=1)
POSTGRES = Variant(homes=3)

CONFIG = f"""
[runner]
workers = 2
max_attempts = {MAX_ATTEMPTS}
max_crashes = {MAX_CRASHES}

[backends.remote]
provider = "delayed"
queue_seconds = 0.5
run_seconds = 0.2

[backends.cluster]
provider = "aer"
executor = "dask"
address = "local"
n_workers = 1
chunk_size = 2
"""

FINAL = {"DONE", "ERROR", "CANCELLED"}
HAND_OVER = "the runner stopped while submitting this job to the service"
BELL_QASM = ('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; h q[0]; '
             "cx q[0],q[1]; measure q -> c;")


def poison():
    """A circuit no simulator knows how to run: its job must end in ERROR."""
    from qiskit.circuit import Gate, QuantumCircuit

    qc = QuantumCircuit(1, name="poison")
    qc.append(Gate("mystery", 1, []), [0])
    qc.measure_all()
    return qc


def small_sweep(n: int = 6, q: int = 4):
    from qiskit import QuantumCircuit

    circuits = []
    for k in range(n):
        qc = QuantumCircuit(q, name=f"sweep{k}")
        for i in range(q):
            qc.ry(0.2 * (k + 1) + 0.3 * i, i)
        for i in range(q - 1):
            qc.cx(i, i + 1)
        qc.measure_all()
        circuits.append(qc)
    return circuits


class Ledger:
    """What was submitted, by whom, and what the driver did: shared by the threads."""

    def __init__(self, variant: Variant = SQLITE) -> None:
        self.variant = variant
        self.lock = threading.Lock()
        self.local: list[str] = []  # plain local Aer jobs from this process
        self.remote: list[str] = []
        self.dask: list[str] = []
        self.poison: set[str] = set()
        self.rest: list[str] = []
        self.cancelled: set[str] = set()
        self.actions: list[str] = []
        self.failures: list[str] = []  # exceptions of the helper threads
        self.orphans: dict[str, int] = {}  # remote job -> the killed runner that followed it
        self.t0 = time.monotonic()

    def note(self, text: str) -> None:
        with self.lock:
            self.actions.append(f"{time.monotonic() - self.t0:7.1f}s {text}")

    def fail(self, where: str) -> None:
        with self.lock:
            self.failures.append(f"{where}:\n{traceback.format_exc()}")


# -- the submitters --------------------------------------------------------------------------
def submit_from_here(ledger: Ledger, rng: random.Random, stop: threading.Event) -> None:
    """Batches of local jobs with remote, Dask, heavy and poisonous ones mixed in, and a few
    cancels of random earlier jobs after each batch."""
    import qnb

    others = REMOTE_JOBS + REMOTE_POISON + LOCAL_POISON + DASK_JOBS + HEAVY_JOBS
    local_total = (ledger.variant.total_jobs - ledger.variant.kernel_jobs - len(KILLS)
                   - others)  # REST: one per kill
    plan: list[str] = (["bell"] * (local_total * 2 // 3) + ["ghz"] * (local_total
                       - local_total * 2 // 3) + ["remote"] * REMOTE_JOBS
                       + ["remote-poison"] * REMOTE_POISON + ["poison"] * LOCAL_POISON
                       + ["heavy"] * HEAVY_JOBS)
    rng.shuffle(plan)
    dask_at = set(range(2, BATCHES, BATCHES // DASK_JOBS))
    size = -(-len(plan) // BATCHES)
    circuits = {"bell": bell(), "heavy": long_circuit(18, 20, name="heavy"),
                "poison": poison(), **{f"ghz{n}": ghz(n) for n in range(3, 11)}}
    sweep = small_sweep()
    try:
        for b in range(BATCHES):
            if stop.is_set():
                return
            batch = plan[b * size:(b + 1) * size]
            if b in dask_at:
                job = qnb.submit(sweep, backend="cluster", shots=64, seed=b, name="dask")
                with ledger.lock:
                    ledger.dask.append(job.id)
            for i, kind in enumerate(batch):
                seed = b * 1000 + i
                if kind == "bell":
                    job = qnb.submit(circuits["bell"], shots=16, seed=seed, name="bell")
                elif kind == "ghz":
                    n = rng.randrange(3, 11)
                    job = qnb.submit(circuits[f"ghz{n}"], shots=32, seed=seed, name="ghz")
                elif kind == "heavy":
                    job = qnb.submit(circuits["heavy"], shots=8, seed=seed, name="heavy")
                elif kind == "poison":
                    job = qnb.submit(circuits["poison"], shots=8, name="poison")
                elif kind == "remote":
                    job = qnb.submit(circuits["bell"], backend="remote", shots=20, seed=seed,
                                     name="remote")
                else:  # remote-poison
                    job = qnb.submit(circuits["poison"], backend="remote", shots=8,
                                     name="poison")
                with ledger.lock:
                    if kind in ("poison", "remote-poison"):
                        ledger.poison.add(job.id)
                    if kind.startswith("remote"):
                        ledger.remote.append(job.id)
                    elif kind != "poison":
                        ledger.local.append(job.id)
            with ledger.lock:
                candidates = [j for j in ledger.local + ledger.remote + ledger.dask
                              if j not in ledger.poison and j not in ledger.cancelled]
            for job_id in rng.sample(candidates, min(len(candidates), rng.randint(1, 4))):
                qnb.get_job(job_id).cancel()
                with ledger.lock:
                    ledger.cancelled.add(job_id)
            stop.wait(rng.uniform(2.0, 4.5))
    except Exception:
        ledger.fail("the submitter of this process")


class KernelDied(Exception):
    pass


def run_cell(km, kc, code: str, timeout: float = 120) -> dict:
    """Run a cell; raise ``KernelDied`` as soon as the kernel process has gone."""
    msg_id = kc.execute(code, store_history=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not km.is_alive():
            raise KernelDied
        try:
            msg = kc.get_shell_msg(timeout=0.5)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]
    raise TimeoutError(f"kernel cell still running after {timeout} s:\n{code}")


KERNEL_SETUP = """
%load_ext qnb
import qnb
from qiskit import QuantumCircuit
b = QuantumCircuit(2); b.h(0); b.cx(0, 1); b.measure_all()
_ids = open({path!r}, "a")
def _record(job):
    _ids.write(job.id + "\\n"); _ids.flush()  # one write(2): a killed kernel leaves whole lines
print("ready")
"""
KERNEL_CELL = """
for _i in range({n}):
    if _i % 2:
        get_ipython().run_line_magic("qsubmit", "b -s 24 -n kmagic -o _j")
        _record(_j)
    else:
        _record(qnb.submit(b, shots=16, seed=_i, name="kernel"))
"""


def kernel_ids(folder: Path) -> list[str]:
    ids = []
    for path in sorted(folder.glob("kernel-ids-*.txt")):
        ids += [line for line in path.read_text().splitlines()
                if len(line) == 12 and all(c in "0123456789abcdef" for c in line)]
    return ids


def submit_from_kernels(ledger: Ledger, folder: Path, state: dict, stop: threading.Event,
                        homes: list[Path]) -> None:
    """Kernels that submit a few jobs every second or two; when the driver kills one, the
    next one takes over (of the next home, when there are several), until the variant's
    kernel jobs are recorded (then the last one stays up, idle, until the end)."""
    generation = 0
    kernel_jobs = ledger.variant.kernel_jobs
    try:
        while not stop.is_set():
            generation += 1
            ids_file = folder / f"kernel-ids-{generation}.txt"
            env = {"QNB_HOME": str(homes[generation % len(homes)])} if len(homes) > 1 else None
            try:
                with running_kernel(env) as (km, kc):
                    reply, out = execute(kc, KERNEL_SETUP.format(path=str(ids_file)),
                                         timeout=180)
                    assert reply["status"] == "ok", text_of(out)
                    state["pid"] = km.provisioner.process.pid
                    state["generation"] = generation
                    ledger.note(f"kernel {generation} (pid {state['pid']}) submitting")
                    while not stop.is_set():
                        left = kernel_jobs - len(kernel_ids(folder))
                        if left > 0:
                            reply = run_cell(km, kc, KERNEL_CELL.format(n=min(6, left)))
                            assert reply["status"] == "ok", reply
                        elif not km.is_alive():
                            raise KernelDied
                        stop.wait(1.5)
            except KernelDied:
                state["pid"] = None
                ledger.note(f"kernel {generation} died; starting another")
    except Exception:
        ledger.fail("the kernel submitter")
    finally:
        state["pid"] = None


# -- the driver ------------------------------------------------------------------------------
class Driver:
    def __init__(self, homes: list[Path], ledger: Ledger, rng: random.Random, launch,
                 kernel: dict, base: Path, store) -> None:
        self.homes, self.ledger, self.rng, self.launch = homes, ledger, rng, launch
        self.kernel, self.base, self.store = kernel, base, store
        self.servers = 0
        self.server = self.start_server()
        self.done: dict[str, int] = {}

    def pick_home(self) -> Path:
        """The home to hit next: the one, or any of several (a draw only then, so that one
        home's chaos stays what its seed always made)."""
        return self.rng.choice(self.homes) if len(self.homes) > 1 else self.homes[0]

    def start_server(self):
        self.servers += 1
        return self.launch(self.pick_home(), base=self.base / f"jupyter-{self.servers}")

    def kill_runner(self) -> str:
        from qnb.runner.control import ensure_runner

        home = self.pick_home()
        ensure_runner(home)
        pid = runner_pid(home, timeout=90)
        lease = self.lease_of(home, pid) if self.ledger.variant.shared else None
        kill_runner_group(home)
        followed = self.note_orphans(lease) if lease is not None else 0
        started = ensure_runner(home)  # as the next submit would
        return (f"killed runner {pid} of {home.parent.name} and its group"
                + (f" (lease {lease:x}, following {followed} remote jobs)" if lease else "")
                + ("; started another" if started else "; another was already answering"))

    @staticmethod
    def lease_of(home: Path, pid: int) -> int:
        """The lease id of the runner ``pid`` of ``home``, once it serves (its heartbeat),
        and, for up to FOLLOW_SECONDS, once it follows a remote job (so that the kill
        leaves one for another runner to adopt)."""
        def heartbeat() -> dict | None:
            with contextlib.suppress(OSError, ValueError, KeyError):
                info = json.loads((home / "runner.json").read_text())
                if info["pid"] == pid and "lease" in info:
                    return info
            return None

        info = wait_for(heartbeat, 90, f"runner {pid} of {home} to serve")
        with contextlib.suppress(AssertionError):
            info = wait_for(lambda: (lambda i: i if i and i["following_remote"] else None)(
                heartbeat()), FOLLOW_SECONDS, interval=0.2)
        return int(info["lease"], 16)

    def note_orphans(self, lease: int) -> int:
        """The unfinished remote jobs the killed runner ``lease`` followed: another runner
        must adopt each (read after the kill: a dead runner changes nothing any more)."""
        with self.ledger.lock:
            remote = list(self.ledger.remote)
        orphans = [j for j in remote if self.store.follower(j) == lease
                   and not self.store.get(j).is_final]
        with self.ledger.lock:
            self.ledger.orphans.update(dict.fromkeys(orphans, lease))
        return len(orphans)

    def kill_worker(self) -> str | None:
        from qnb.runner.control import ensure_runner

        home = self.pick_home()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ensure_runner(home)
            pid = runner_pid(home, timeout=90)
            busy = busy_workers(pid)
            idle = pool_workers(pid)
            victims = busy or idle
            if victims:
                victim = self.rng.choice(victims)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
                return (f"killed {'busy' if busy else 'idle'} worker {victim} of runner "
                        f"{pid}")
            time.sleep(0.5)  # a runner still starting its pool
        return None

    def kill_kernel(self) -> str | None:
        pid = wait_for(lambda: self.kernel.get("pid"), 180, "a submitting kernel")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # it ended (or was being replaced) since its pid was read
            return f"kernel {self.kernel.get('generation')} (pid {pid}) had already exited"
        return f"killed kernel {self.kernel.get('generation')} (pid {pid})"

    def kill_server(self) -> str:
        old = self.server
        os.kill(old.proc.pid, signal.SIGKILL)
        old.stop()  # reaps it and whatever is left of its process group
        self.server = self.start_server()
        return f"killed Jupyter server {old.proc.pid}; started {self.server.proc.pid}"

    def touch_rest(self) -> None:
        """List jobs, and submit one Bell job, through the current server's REST API."""
        page = self.server.api("GET", "/qnb/api/jobs?limit=5", timeout=120)
        assert set(page) >= {"jobs", "total"} and page["total"] >= len(page["jobs"]), page
        created = self.server.api("POST", "/qnb/api/jobs",
                                  {"qasm": BELL_QASM, "shots": 32, "name": "rest"},
                                  timeout=120)
        with self.ledger.lock:
            self.ledger.rest.append(created["id"])

    def run(self) -> None:
        kinds = list(KILLS)
        self.rng.shuffle(kinds)
        for n, kind in enumerate(kinds, 1):
            time.sleep(self.rng.uniform(2.0, 7.0))
            what = {"runner": self.kill_runner, "worker": self.kill_worker,
                    "kernel": self.kill_kernel, "server": self.kill_server}[kind]()
            assert what, f"kill {n} ({kind}) found nothing to kill"
            self.done[kind] = self.done.get(kind, 0) + 1
            self.ledger.note(f"kill {n:2d}: {what}")
            self.touch_rest()


# -- the checks ------------------------------------------------------------------------------
def processes_of(homes: list[Path]) -> list[str]:
    """Live processes of these homes: a home's path on their command line (runner, fork
    server and pool workers) or as their QNB_HOME (everything started with it: Dask workers,
    kernels, servers)."""
    marks = {str(p) for home in homes for p in (home, home.resolve())}
    found = []
    for proc in psutil.process_iter(["pid", "ppid", "cmdline", "status"]):
        if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmd = " ".join(proc.info["cmdline"] or ())
        try:
            env_home = proc.environ().get("QNB_HOME")
        except psutil.Error:
            env_home = None
        if env_home in marks or any(m in cmd for m in marks):
            found.append(f"pid {proc.pid} (parent {proc.info['ppid']}): {cmd[:300]}")
    return found


def check_jobs(store, ledger: Ledger, known: list[str], service_dir: Path) -> dict[str, int]:
    records, total = store.list(limit=10 * ledger.variant.total_jobs)
    by_id = {r.id: r for r in records}
    assert total == len(records)
    missing = [j for j in known if j not in by_id]
    assert not missing, f"{len(missing)} submitted jobs are not in the store: {missing[:10]}"
    problems: list[str] = []
    tally: dict[str, int] = {}
    hand_over = 0
    for rec in records:
        statuses = [s for _, s, _ in store.events(rec.id)]
        ends = [s for s in statuses if s in FINAL]
        status = str(rec.status)
        if len(ends) != 1 or statuses[-1] != status or status not in FINAL:
            problems.append(f"{rec.id} ({rec.name}) is {status}; history {statuses}")
            continue
        result = store.result(rec.id)
        if (result is not None) != (status == "DONE"):
            problems.append(f"{rec.id} ({rec.name}) is {status} with result {result!r:.80}")
            continue
        if status == "DONE" and rec.backend != "cluster":
            shots = sum(result["counts"][0].values())
            if shots != rec.shots:
                problems.append(f"{rec.id} ({rec.name}): {shots} shots counted of {rec.shots}")
        if status == "ERROR":
            if rec.id in ledger.poison:
                caught = rec.backend == "remote" and HAND_OVER in (rec.error or "")  # by design
                if "mystery" not in (rec.error or "") and not caught:
                    problems.append(f"poisonous {rec.id} failed for another reason: {rec.error}")
            elif rec.backend == "remote" and HAND_OVER in (rec.error or ""):
                hand_over += 1
            else:
                problems.append(f"{rec.id} ({rec.name}, {rec.backend}) ended in ERROR: "
                                f"{rec.error}; history {statuses}")
        elif rec.id in ledger.poison and not (status == "CANCELLED"
                                             and rec.id in ledger.cancelled):
            problems.append(f"poisonous {rec.id} ended {status}")
        tally[status] = tally.get(status, 0) + 1
    assert not problems, f"{len(problems)} jobs broke a promise:\n" + "\n".join(problems[:40])
    # every remote job reached the service once: never sent twice; a hand-over cut short by
    # a killed runner may or may not have reached it
    sent = len(list(service_dir.glob("*.json")))
    attached = sum(1 for j in ledger.remote if by_id[j].remote_id)
    assert attached <= sent <= attached + hand_over, (attached, sent, hand_over)
    tally["hand-over ERROR"] = hand_over
    if ledger.variant.shared:  # a killed runner's remote jobs: each adopted by another runner
        strays = [j for j, lease in ledger.orphans.items() if store.follower(j) == lease]
        assert not strays, f"remote jobs of killed runners that no runner adopted: {strays}"
        assert ledger.orphans, "no runner was killed while it followed a remote job"
        tally["remote jobs adopted from killed runners"] = len(ledger.orphans)
    tally["hand-over ERROR that reached the service"] = sent - attached
    tally["total"] = total
    return tally


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_jobs_survive_random_kills_of_runners_workers_kernels_and_servers(tmp_path,
                                                                          jupyter_launcher):
    work = tmp_path / "work"
    work.mkdir()
    with isolated_home(tmp_path, CONFIG, workdir=work) as home:
        # (QNB_TEST_STORE=postgresql puts even this one home's store on PostgreSQL)
        run_chaos(tmp_path, jupyter_launcher, SQLITE, [home], os.environ.get("QNB_STORE"))


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_three_runners_on_postgresql_survive_random_kills(tmp_path, jupyter_launcher):
    service = tmp_path / "delayed-service"  # one service all homes reach, as a cloud
    # remote jobs queue longer at the service, so that killed runners leave some to adopt
    config = CONFIG.replace("queue_seconds = 0.5\nrun_seconds = 0.2\n",
                            "queue_seconds = 3\nrun_seconds = 0.2\n"
                            f"service_dir = {json.dumps(str(service))}\n")
    assert "service_dir" in config
    with shared_homes(tmp_path, POSTGRES.homes, config,
                      env={"QNB_RUNNER_LEASE": str(LEASE_SECONDS)}) as (homes, url):
        run_chaos(tmp_path, jupyter_launcher, POSTGRES, homes, url)
    assert not list((homes[0] / "delayed-service").glob("*.json"))  # all went to the shared


def run_chaos(tmp_path: Path, jupyter_launcher, variant: Variant, homes: list[Path],
              url: str | None) -> None:
    """The chaos of the module's text on ``homes`` (the test process's QNB_HOME is the
    first); ``url`` is the shared store's, if they share one."""
    started = time.monotonic()
    rng = random.Random(SEED)
    ledger = Ledger(variant)
    home = homes[0]
    service_dir = tmp_path / "delayed-service" if variant.shared else home / "delayed-service"
    from qnb.models import JobStatus
    from qnb.runner.control import ensure_runner, runner_alive, stop_runner
    from qnb.store import get_store

    store = get_store()
    for one in homes:
        ensure_runner(one)
    stop = threading.Event()
    kernel_state: dict = {"pid": None}
    threads = [
        threading.Thread(target=submit_from_here, name="submitter", daemon=True,
                         args=(ledger, random.Random(rng.random()), stop)),
        threading.Thread(target=submit_from_kernels, name="kernels", daemon=True,
                         args=(ledger, tmp_path, kernel_state, stop, homes)),
    ]
    driver = Driver(homes, ledger, random.Random(rng.random()), jupyter_launcher,
                    kernel_state, tmp_path, store)
    try:
        for t in threads:
            t.start()
        try:
            driver.run()
        finally:
            ledger.note(f"driver stopped after {dict(driver.done)}")
            assert not ledger.failures, "\n".join(ledger.failures)
        threads[0].join(timeout=300)  # the submitter finishes its plan
        wait_for(lambda: len(kernel_ids(tmp_path)) >= variant.kernel_jobs or ledger.failures,
                 180, "the kernels to submit their share")
        stop.set()
        for t in threads:
            t.join(timeout=120)
        assert not ledger.failures, "\n".join(ledger.failures)
        assert driver.done == {k: KILLS.count(k) for k in set(KILLS)}, driver.done

        # everything must now finish without help: a runner per home, started as a submit
        # would
        for one in homes:
            ensure_runner(one)
        stuck: list[str] = []
        progress = {"left": -1, "since": time.monotonic()}

        def all_final() -> bool:
            left = store.count_queued() + len(store.running())
            if left and not any(runner_alive(one) for one in homes):
                stuck.append(f"the runners exited with {left} jobs unfinished")
            if left != progress["left"]:
                progress.update(left=left, since=time.monotonic())
            elif left and time.monotonic() - progress["since"] > STALL_SECONDS:
                stuck.append(f"no job finished for {STALL_SECONDS} s; {left} unfinished, "
                             f"{len(store.running())} of them RUNNING")
            return left == 0 or bool(stuck)

        wait_for(all_final, 480, interval=1.0, what=lambda: (
            f"every job to finish; {store.count_queued()} queued, "
            f"{len(store.running())} running"))
        assert not stuck, (f"{stuck[0]}; the runners' logs end:\n" + "\n".join(
            (one / "runner.log").read_text()[-4000:] for one in homes))
        known = sorted({*ledger.local, *ledger.remote, *ledger.dask, *ledger.rest,
                        *ledger.poison, *kernel_ids(tmp_path)})
        tally = check_jobs(store, ledger, known, service_dir)
        kernel_recorded = kernel_ids(tmp_path)
        assert all(store.get(j).origin.startswith("kernel:") for j in kernel_recorded)
        assert all(store.get(j).status is JobStatus.DONE or j in ledger.cancelled
                   for j in ledger.dask), [store.get(j).error for j in ledger.dask]
    finally:
        stop.set()
        driver.server.stop()
        print(f"\nchaos ({'postgresql' if url else 'sqlite'}, seed {SEED}), what happened:", *ledger.actions,
              sep="\n  ")
        for t in threads:
            t.join(timeout=60)
    # the check below sees these homes' processes: the runners and their helpers are here now
    before = processes_of(homes)
    assert any("-m qnb.runner --home" in p for p in before), before
    dask = sum("spawn_main" in p for p in before)
    for one in homes:
        assert stop_runner(one)
    store.close()
    if url is None:
        conn = sqlite3.connect(f"file:{home / 'jobs.sqlite'}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    else:
        assert_store_intact(home, url)
    left: list[str] = []

    def nothing_left() -> bool:
        left[:] = processes_of(homes)
        return not left

    with contextlib.suppress(AssertionError):
        wait_for(nothing_left, 10, interval=0.5)
    assert not left, "processes of these homes outlived the runners:\n" + "\n".join(left)
    summary = {"store": "postgresql" if url else "sqlite", "homes": len(homes),
               "seconds": round(time.monotonic() - started), **tally,
               "kernel jobs": len(kernel_recorded), "rest jobs": len(ledger.rest),
               "cancel requests": len(ledger.cancelled), "poisonous": len(ledger.poison),
               "processes of the homes before stopping": len(before), "of them Dask": dask}
    print("chaos, what came of it:", json.dumps(summary))
