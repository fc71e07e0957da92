"""Aer on a Dask cluster (``executor = "dask"``): a job's circuits are split into chunks that
Dask workers transpile and simulate in parallel; the counts come back in batch order.

The job stays a local job of the runner: ``AerProvider.run`` (in a runner worker process)
becomes a Dask client for the length of the job, submits one task per chunk and waits.
Cancelling the job stops that worker process; its connection closes and the scheduler
releases every chunk the job still held. ``address = "local"`` starts a ``LocalCluster``
inside the runner worker process, kept for later jobs while it is used and closed when idle
or when that process ends (the runner stops, or a job on it is cancelled).

Counts equal the unchunked local run for the same seed: Aer seeds circuit ``i`` of a batch
with ``seed_simulator + 2113 * i``, so each chunk gets the seed of its first circuit; every
chunk is transpiled with the same ``seed_transpiler``. Dask itself re-runs a chunk whose
worker died (up to the scheduler's ``allowed-failures``); qnb adds no queue or retry of its own.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import re
import threading
import time
import uuid
from typing import Any

from .. import progress
from .base import Field, ProfileError
from .simulator import chunk_seed, run_circuits, simulator

log = logging.getLogger("qnb.dask")

DEFAULT_CONNECT_TIMEOUT = 10.0
#: a job fails when the cluster has had no worker at all for this long
NO_WORKERS_TIMEOUT = 120.0
#: the ``address = "local"`` cluster closes after this many seconds without a job
LOCAL_IDLE_SECONDS = 300.0
TASKS_PER_THREAD = 4
MAX_AUTO_CHUNK = 250
#: no dashboard, and the scheduler's HTTP endpoint on a free loopback port rather than 8787
#: (which a user's own Dask dashboard would want)
QUIET_SCHEDULER: dict[str, Any] = {
    "dashboard_address": None,
    "scheduler_kwargs": {"dashboard": False, "dashboard_address": "127.0.0.1:0"}}
#: the settings an ``aer`` profile takes for Dask
FIELDS: dict[str, Field] = {
    "executor": Field(str),  # "local" (the runner's worker pool, default) or "dask"
    "address": Field(str),  # "tcp://scheduler:8786", or "local" for a LocalCluster qnb runs
    "chunk_size": Field(int),  # circuits per Dask task (default: about 4 per worker thread)
    "n_workers": Field(int),  # worker processes of the address = "local" cluster
    "connect_timeout": Field((int, float)),  # seconds to reach the scheduler (default 10)
}
DASK_FIELDS = ("address", "chunk_size", "n_workers", "connect_timeout")
_ADDRESS_RE = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<rest>\S+)$")
_HOST_PORT_RE = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):\d{1,5}(/\S*)?$")


class DaskExecutionError(RuntimeError):
    """The Dask cluster could not run the job: unreachable, no workers, or workers lost."""


# -- profile checking (kernel, config loading: no Dask import) -------------------------------
def validate(options: dict[str, Any]) -> None:
    """Check the Dask fields of an ``aer`` profile; ``ProfileError`` names the field."""
    executor = options.get("executor", "local")
    if executor not in ("local", "dask"):
        raise ProfileError(f'must be "local" or "dask", got {executor!r}', "executor")
    if executor != "dask":
        for key in DASK_FIELDS:
            if key in options:
                raise ProfileError('only used with executor = "dask"', key)
        return
    address = options.get("address")
    if address is None:
        raise ProfileError('executor = "dask" needs an address: a scheduler such as '
                           '"tcp://scheduler:8786", or "local" for a cluster qnb starts',
                           "address")
    if address != "local":
        m = _ADDRESS_RE.match(address)
        if m is None or (m["scheme"] in ("tcp", "tls", "ws", "wss")
                         and not _HOST_PORT_RE.match(m["rest"])):
            raise ProfileError(f'must be "local" or a scheduler address such as '
                               f'"tcp://scheduler:8786", got {address!r}', "address")
        if "n_workers" in options:
            raise ProfileError('only used with address = "local" (a remote cluster has the '
                               'workers it was started with)', "n_workers")
    for key in ("chunk_size", "n_workers"):
        if key in options and options[key] < 1:
            raise ProfileError("must be at least 1", key)
    if "connect_timeout" in options and not options["connect_timeout"] > 0:
        raise ProfileError("must be a positive number of seconds", "connect_timeout")


def describe(options: dict[str, Any]) -> str:
    address = options["address"]
    if address == "local":
        n = options.get("n_workers") or os.cpu_count() or 1
        return f"Aer on a local Dask cluster of {n} worker processes, started on demand"
    return f"Aer on the Dask cluster at {address}"


# -- chunks and seeds -----------------------------------------------------------------------
def plan_chunks(n: int, chunk_size: int | None, threads: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each chunk: the profile's size, or about four per worker thread."""
    size = chunk_size or min(MAX_AUTO_CHUNK, max(1, math.ceil(n / (TASKS_PER_THREAD
                                                                   * max(threads, 1)))))
    return [(start, min(start + size, n)) for start in range(0, n, size)]


# -- on a Dask worker -----------------------------------------------------------------------
def run_chunk(sim_options: dict[str, Any], payload: bytes, shots: int, seed: int | None,
              sim_seed: int | None, optimization_level: int | None) -> dict[str, Any]:
    """Transpile and simulate one chunk (QPY) on a Dask worker; module-level so that worker
    processes import it by name."""
    from ..circuits import decode

    # One core per worker thread, as Dask's OMP_NUM_THREADS=1 does for OpenMP: otherwise
    # Qiskit's Rust passes start a thread per core in every worker and the workers contend.
    os.environ.setdefault("QISKIT_IN_PARALLEL", "TRUE")
    out = run_circuits(simulator(sim_options), decode(payload), shots, seed, optimization_level,
                       seed_simulator=sim_seed, num_processes=1)
    out["metadata"]["worker_pid"] = os.getpid()
    try:
        from distributed import get_worker

        out["metadata"]["worker"] = get_worker().address
    except ValueError:  # not inside a worker (called directly)
        pass
    return out


# -- the address = "local" cluster ----------------------------------------------------------
_local_lock = threading.Lock()
_local: dict[int, Any] = {}  # n_workers -> LocalCluster
_local_users = 0
_local_timer: threading.Timer | None = None


def _local_address(n_workers: int) -> str:
    """The scheduler address of this process's LocalCluster, started on first use.

    Every call is paired with ``_release_local()``; the cluster closes once it has had no
    user for ``LOCAL_IDLE_SECONDS``.
    """
    global _local_users, _local_timer
    with _local_lock:
        if _local_timer is not None:
            _local_timer.cancel()
            _local_timer = None
        cluster = _local.get(n_workers)
        if cluster is not None and cluster.status.name != "running":
            _close_local(n_workers)
            cluster = None
        if cluster is None:
            from distributed import LocalCluster

            for other in list(_local):
                _close_local(other)
            log.info("starting a local Dask cluster of %d workers", n_workers)
            try:
                cluster = _local[n_workers] = LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", silence_logs=logging.ERROR, **QUIET_SCHEDULER)
            except Exception as exc:
                raise DaskExecutionError(f"could not start a local Dask cluster of {n_workers} "
                                         f"workers: {type(exc).__name__}: {exc}") from None
        _local_users += 1
        return cluster.scheduler_address


def _release_local() -> None:
    global _local_users, _local_timer
    with _local_lock:
        _local_users = max(0, _local_users - 1)
        if _local_users == 0 and _local:
            _local_timer = threading.Timer(LOCAL_IDLE_SECONDS, _idle_close)
            _local_timer.daemon = True
            _local_timer.start()


def _idle_close() -> None:
    with _local_lock:
        if _local_users == 0:  # a job may have taken the cluster since the timer fired
            for n in list(_local):
                _close_local(n)


def _close_local(n_workers: int) -> None:
    cluster = _local.pop(n_workers, None)
    if cluster is not None:
        try:
            cluster.close(timeout=10)
        except Exception as exc:  # best effort: its processes end with this one anyway
            log.warning("closing the local Dask cluster failed: %s", exc)


# -- in the runner worker process -----------------------------------------------------------
def run_on_dask(options: dict[str, Any], payload: bytes, shots: int,
                seed: int | None) -> dict[str, Any]:
    """Run a job's circuits as chunks on the profile's Dask cluster; same result shape as a
    local run, plus where it ran."""
    from distributed import Client

    from ..circuits import decode

    circuits = decode(payload)
    address = options["address"]
    local = address == "local"
    timeout = float(options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT))
    if address.startswith("gateway://"):
        _register_gateway_comm(address)
    if local:
        address = _local_address(int(options.get("n_workers") or os.cpu_count() or 1))
    try:
        try:
            # TLS credentials, when the scheduler wants them, come from Dask's own
            # configuration (distributed.comm.tls.*, or DASK_DISTRIBUTED__COMM__TLS__* vars).
            client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # OSError mostly; odd peers can raise anything
            raise DaskExecutionError(
                f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                f"({type(exc).__name__}: {exc}); check the profile's address and that the "
                "scheduler is running") from None
        try:
            return _run(client, address, options, circuits, shots, seed)
        finally:
            client.close()
    finally:
        if local:
            _release_local()


def _register_gateway_comm(address: str) -> None:
    """Dask Gateway's proxy speaks its own ``gateway://`` comm, registered on import."""
    try:
        import dask_gateway.comm  # noqa: F401
    except ImportError:
        raise DaskExecutionError(
            f"{address} is a Dask Gateway address: install dask-gateway where the qnb runner "
            "runs") from None


def _run(client: Any, address: str, options: dict[str, Any], circuits: list[Any], shots: int,
         seed: int | None) -> dict[str, Any]:
    from ..circuits import encode

    t0 = time.perf_counter()
    workers = client.scheduler_info(n_workers=-1)["workers"]
    threads = sum(int(w.get("nthreads", 1)) for w in workers.values())
    chunks = plan_chunks(len(circuits), options.get("chunk_size"), threads)
    sim_options = {k: options[k] for k in ("method", "device") if k in options}
    level = options.get("optimization_level")
    token = uuid.uuid4().hex[:12]
    done: queue.SimpleQueue[int] = queue.SimpleQueue()
    futures = []
    for i, (start, stop) in enumerate(chunks):
        future = client.submit(run_chunk, sim_options, encode(circuits[start:stop]), shots, seed,
                               chunk_seed(seed, start), level, key=f"qnb-aer-chunk-{token}-{i}",
                               retries=0)
        future.add_done_callback(lambda _f, i=i: done.put(i))
        futures.append(future)
    results: list[dict[str, Any] | None] = [None] * len(chunks)
    try:
        remaining = len(chunks)
        no_workers_since: float | None = None
        while remaining:
            try:
                i = done.get(timeout=2.0)
            except queue.Empty:
                no_workers_since = _check_workers(client, address, no_workers_since)
                continue
            results[i] = _chunk_result(futures[i], i, chunks, address)
            remaining -= 1
            progress.report(sum(b - a for (a, b), r in zip(chunks, results, strict=True)
                                if r is not None), len(circuits))
    finally:
        unfinished = [f for f in futures if not f.done()]
        if unfinished:
            try:
                client.cancel(unfinished)
            except Exception as exc:  # the connection may be what failed
                log.debug("cancelling chunks failed: %s", exc)
    return _combine(results, address, chunks, time.perf_counter() - t0)


def _check_workers(client: Any, address: str, since: float | None) -> float | None:
    """Fail the job once the cluster has had no worker for ``NO_WORKERS_TIMEOUT`` seconds."""
    try:
        n = len(client.scheduler_info(n_workers=-1)["workers"])
    except Exception as exc:
        raise DaskExecutionError(
            f"lost the connection to the Dask scheduler at {address} "
            f"({type(exc).__name__}: {exc})") from None
    if n:
        return None
    now = time.monotonic()
    if since is None:
        return now
    if now - since > NO_WORKERS_TIMEOUT:
        raise DaskExecutionError(
            f"the Dask cluster at {address} has had no workers for {NO_WORKERS_TIMEOUT:g} s; "
            "start or scale up workers (an adaptive cluster needs a minimum of 1)")
    return since


def _chunk_result(future: Any, i: int, chunks: list[tuple[int, int]],
                  address: str) -> dict[str, Any]:
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError

    start, stop = chunks[i]
    what = f"chunk {i + 1} of {len(chunks)} (circuits {start}-{stop - 1})"
    try:
        return future.result()
    except KilledWorker as exc:
        raise DaskExecutionError(
            f"{what} was given up: every Dask worker that ran it died (the scheduler's "
            "distributed.scheduler.allowed-failures limit was reached; a worker killed for "
            f"memory is the usual cause). Dask said: {exc}") from None
    except FutureCancelledError as exc:
        if "connection-lost" in str(exc):
            raise DaskExecutionError(
                f"lost the connection to the Dask scheduler at {address} while {what} was "
                "pending (the scheduler stopped or the network failed)") from None
        raise DaskExecutionError(
            f"{what} was cancelled on the Dask cluster at {address} (the scheduler restarted "
            f"or another client cancelled it): {exc}") from None


def _combine(results: list[dict[str, Any] | None], address: str,
             chunks: list[tuple[int, int]], wall: float) -> dict[str, Any]:
    counts: list[dict[str, int]] = []
    workers: set[str] = set()
    pids: set[int] = set()
    transpile = run = 0.0
    meta: dict[str, Any] = {}
    for res in results:
        assert res is not None
        counts.extend(res["counts"])
        meta = res["metadata"]
        transpile += meta.get("transpile_seconds", 0.0)
        run += meta.get("run_seconds", 0.0)
        if meta.get("worker"):
            workers.add(meta["worker"])
        if meta.get("worker_pid"):
            pids.add(meta["worker_pid"])
    return {"counts": counts, "metadata": {
        "executor": "dask", "scheduler": address, "chunks": len(chunks),
        "chunk_size": chunks[0][1] - chunks[0][0], "workers": sorted(workers),
        "worker_pids": sorted(pids),
        "transpile_seconds": transpile, "run_seconds": run, "wall_seconds": wall,
        "simulator": meta.get("simulator"), "method": meta.get("method")}}
