"""A worker process of the runner's pool: it claims local jobs from the store and runs them.

Its loop, step by step (``serve``):

1. stop if the runner said so or has gone (its pipe closed);
2. claim the oldest queued local job (``JobStore.claim_next``: QUEUED -> RUNNING, recording
   this worker as its holder, so that the runner can tell which job a dead worker held);
3. none: wait until a submit pokes the idle workers (``waiters.WORKERS``) or a second
   passes, then go to 1;
4. run it, write its result (DONE) or the reason it failed (ERROR), wake the kernels
   waiting on it, and go to 1.

The runner never sits between a submit and a worker: it starts the workers, replaces those
that die (charging the job a dead worker held), and stops the worker of a cancelled job.
Importable (never ``__main__``), and imported ahead by the fork server so that a fresh worker
starts warm.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import qiskit  # noqa: F401  - preloaded so that workers start warm
import qiskit_aer  # noqa: F401

from .. import progress
from ..backends import simulator
from ..backends.registry import make_provider, provider_kind, provider_names
from ..models import JobRecord, JobStatus
from ..store import JobStore, get_store
from ..waiters import WORKERS, Waiter
from .outcomes import describe_exception
from .results import Written, end_job, write_from_worker

log = logging.getLogger("qnb.runner")

IDLE_LOOK_SECONDS = 1.0  # an idle worker looks at the queue this often without a poke

#: a job gets an ETA when it has this many circuits or qubits (smaller ones end before
#: anyone would read one, and the estimate costs a query)
ETA_MIN_CIRCUITS = 20
ETA_MIN_QUBITS = 20


def serve(home: str, runner: int, conn: Connection) -> None:
    """The worker's loop (see the module's text); returns when the runner stops it."""
    warm()
    store = get_store(Path(home))
    wake = _wake_socket(Path(home))
    me = os.getpid()
    remote = remote_providers()  # their jobs go to a service, never to a worker
    try:
        while not _told_to_stop(conn):
            rec = store.claim_next(me, runner, remote=remote)
            if rec is None:
                _idle(conn, wake)
                continue
            run_claimed(store, rec)
    finally:
        if wake is not None:
            wake.close()


def _told_to_stop(conn: Connection) -> bool:
    """The runner sent "stop" or closed its end (it stopped, or died)."""
    try:
        return conn.poll() and conn.recv() == "stop"
    except (EOFError, OSError):
        return True


def _wake_socket(home: Path) -> Waiter | None:
    try:
        return Waiter(home.resolve(), WORKERS)
    except OSError:  # no abstract sockets here: the timed look alone
        return None


def _idle(conn: Connection, wake: Waiter | None) -> None:
    """Wait for a poke, a word from the runner, or ``IDLE_LOOK_SECONDS``."""
    fds: list[Any] = [conn] + ([wake.sock] if wake is not None else [])
    try:
        ready, _, _ = select.select(fds, [], [], IDLE_LOOK_SECONDS)
    except InterruptedError:
        return
    if wake is not None and wake.sock in ready:
        with contextlib.suppress(OSError):
            while wake.sock.recv(64):
                pass


def runs_here(provider: str) -> bool:
    """Whether a provider's jobs are a worker's to run (``provider_kind``)."""
    return provider_kind(provider) == "local"


def remote_providers() -> list[str]:
    """The installed providers whose jobs are handed to a service: the ones a worker skips
    (a name no provider has is run by a worker, which ends the job saying why)."""
    return [name for name in provider_names() if not runs_here(name)]


def run_claimed(store: JobStore, rec: JobRecord) -> None:
    """Run a job this worker claimed, and end it: DONE with its result, or ERROR."""
    home = store.home
    try:
        fmt, payload = store.payload(rec.id)
        spec = {"profile": rec.options.get("profile") or
                {"name": rec.backend, "provider": rec.provider, "options": {}},
                "format": fmt, "payload": payload, "shots": rec.shots, "seed": rec.seed,
                "options": rec.options.get("run", {}), "job_id": rec.id, "home": str(home)}
        if worth_an_eta(rec):
            _estimate(store, rec)
        outcome = run_job(spec)
    except Exception as exc:
        log.info("job %s failed: %s", rec.id, describe_exception(exc))
        end_job(store, rec.id, JobStatus.ERROR, error=describe_exception(exc),
                only_from=[JobStatus.RUNNING])
        return
    if not isinstance(outcome, Written):  # it could not be written: ERROR, saying why
        end_job(store, rec.id, JobStatus.DONE, result=outcome, only_from=[JobStatus.RUNNING])


def run_job(spec: dict[str, Any]) -> dict[str, Any] | Written:
    """Run one local job from its spec (profile, payload, shots, seed, options). When the
    spec names the job (``job_id``, ``home``), write its progress and then its result to the
    store (``Written``); otherwise, or if that write cannot be made, return the result."""
    provider = make_provider(spec["profile"])
    job_id = spec.get("job_id")
    following = (progress.reporting(spec["home"], job_id) if job_id
                 else contextlib.nullcontext())
    with following:
        result = provider.run(spec["format"], spec["payload"], spec["shots"], spec["seed"],
                              spec.get("options", {}))
    return write_from_worker(spec["home"], job_id, result) if job_id else result


def worth_an_eta(rec: JobRecord) -> bool:
    """Whether a job is big enough to estimate when it ends."""
    qubits = rec.summary.get("num_qubits")
    return rec.num_circuits >= ETA_MIN_CIRCUITS or (isinstance(qubits, int)
                                                    and qubits >= ETA_MIN_QUBITS)


def _estimate(store: JobStore, rec: JobRecord) -> None:
    try:
        seconds = store.typical_run(rec)
        if seconds is not None:
            store.estimate_end(rec.id, seconds)
    except Exception as exc:  # an ETA is a courtesy: the job runs without one
        log.info("no estimate for job %s: %s", rec.id, exc)


def warm() -> None:
    """Make the first real job find imports, simulator and caches ready."""
    simulator.warm()
