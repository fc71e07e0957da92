"""Aer on Dask: a real ``distributed.LocalCluster`` (two worker processes) runs job chunks."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from helpers import direct_aer_counts, wait_for

import qnb
from qnb.backends.dask_executor import QUIET_SCHEDULER
from qnb.models import JobFailed, JobStatus, SubmitError

pytestmark = pytest.mark.timeout(300)


def sweep(n: int, q: int = 6):
    """A parameter sweep: ``n`` entangling circuits whose angles change with the index."""
    from qiskit import QuantumCircuit

    circuits = []
    for k in range(n):
        qc = QuantumCircuit(q, name=f"sweep{k}")
        for i in range(q):
            qc.ry(0.1 * (k + 1) + 0.3 * i, i)
        for i in range(q - 1):
            qc.cx(i, i + 1)
        for i in range(q):
            qc.rz(0.05 * k * (i + 1), i)
            qc.rx(0.2 + 0.01 * k, i)
        qc.measure_all()
        circuits.append(qc)
    return circuits


def slow_sweep(n: int, q: int = 6):
    """Circuits with a mid-circuit measurement: Aer simulates them shot by shot, so a chunk
    with a few thousand shots runs long enough to be killed or cancelled."""
    from qiskit import QuantumCircuit

    circuits = []
    for k in range(n):
        qc = QuantumCircuit(q, q, name=f"slow{k}")
        for i in range(q):
            qc.ry(0.1 * (k + 1) + 0.3 * i, i)
        for i in range(q - 1):
            qc.cx(i, i + 1)
        qc.measure(0, 0)
        for i in range(q):
            qc.rx(0.2 + 0.01 * k, i)
        qc.measure(range(q), range(q))
        circuits.append(qc)
    return circuits


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes behind a scheduler on a loopback port."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      **QUIET_SCHEDULER) as lc, Client(lc) as client:
        yield client


def write_profile(name: str, **fields) -> None:
    lines = [f"[backends.{name}]", 'provider = "aer"', 'executor = "dask"']
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in fields.items()]
    Path("qnb.toml").write_text("\n".join(lines) + "\n")


def chunk_keys(client) -> dict[str, str]:
    """The qnb chunks the scheduler holds, with their state."""
    def keys(dask_scheduler):
        return {str(k): ts.state for k, ts in dask_scheduler.tasks.items()}

    return {k: v for k, v in client.run_on_scheduler(keys).items()
            if k.startswith("qnb-aer-chunk-")}



def test_dask_counts_equal_the_local_path_for_the_same_seed(qnb_home, store, cluster):
    write_profile("cluster", address=cluster.scheduler.address, chunk_size=7)
    circuits = sweep(40)
    on_dask = qnb.submit(circuits, backend="cluster", shots=200, seed=11, name="sweep")
    local = qnb.submit(circuits, backend="aer", shots=200, seed=11)
    result = on_dask.result(timeout=240)
    assert on_dask.status() is JobStatus.DONE
    assert len(result) == 40
    assert result.counts_list == local.result(timeout=240).counts_list
    meta = result.metadata
    assert meta["executor"] == "dask" and meta["chunks"] == 6 and meta["chunk_size"] == 7
    assert set(meta["workers"]) <= set(cluster.scheduler_info()["workers"])
    rec = store.get(on_dask.id)
    assert rec.backend == "cluster" and rec.name == "sweep"
    # both reported their progress: Dask per chunk, the local path in parts (same counts)
    assert on_dask.progress() == local.progress() == (40, 40)


def test_cancel_releases_the_jobs_dask_futures(qnb_home, cluster):
    write_profile("cluster", address=cluster.scheduler.address, chunk_size=1)
    job = qnb.submit(slow_sweep(16), backend="cluster", shots=4000, seed=2)
    wait_for(lambda: "processing" in chunk_keys(cluster).values(), 120,
               "a chunk to run on a Dask worker")
    job.cancel()
    assert job.wait(timeout=30) is JobStatus.CANCELLED
    # The runner stopped the job's Dask client; the scheduler drops every chunk it held.
    wait_for(lambda: not chunk_keys(cluster), 30, "the scheduler to release the chunks")
    with pytest.raises(JobFailed, match="CANCELLED"):
        job.result()


def test_a_worker_killed_mid_batch_is_survived(qnb_home, cluster):
    write_profile("cluster", address=cluster.scheduler.address, chunk_size=2)
    circuits = slow_sweep(12)
    pids = cluster.run(os.getpid)  # worker address -> process id, asked while they idle
    job = qnb.submit(circuits, backend="cluster", shots=3000, seed=5)

    def busy_worker():
        for addr, keys in cluster.processing().items():
            if any(str(k).startswith("qnb-aer-chunk-") for k in keys):
                return addr
        return None

    addr = wait_for(busy_worker, 120, "a chunk to run on a Dask worker")
    pid = pids[addr]
    os.kill(pid, signal.SIGKILL)
    result = job.result(timeout=240)
    assert job.status() is JobStatus.DONE
    assert pid not in result.metadata["worker_pids"]
    assert result.counts_list == direct_aer_counts(circuits, 3000, 5)


def test_unreachable_scheduler_ends_the_job_in_error(qnb_home, store):
    write_profile("nowhere", address="tcp://127.0.0.1:1", connect_timeout=3)
    job = qnb.submit(sweep(3), backend="nowhere", shots=10, seed=1)
    assert job.wait(timeout=90) is JobStatus.ERROR
    error = store.get(job.id).error
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 3 s" in error
    with pytest.raises(JobFailed, match="cannot reach the Dask scheduler"):
        job.result()
    # the runner keeps serving other backends
    assert set(qnb.submit(sweep(1), backend="aer", shots=50).counts()) != set()


def test_local_cluster_is_started_and_stopped_by_qnb(qnb_home):
    from qnb.runner.control import stop_runner

    write_profile("laptop", address="local", n_workers=2, chunk_size=5)
    circuits = sweep(20)
    job = qnb.submit(circuits, backend="laptop", shots=100, seed=3)
    result = job.result(timeout=240)
    assert result.counts_list == direct_aer_counts(circuits, 100, 3)
    pids = result.metadata["worker_pids"]
    assert pids and result.metadata["scheduler"].startswith("tcp://127.0.0.1:")
    assert all(_alive(pid) for pid in pids)  # kept for the next job while the runner runs
    assert qnb.submit(circuits[:5], backend="laptop", shots=100, seed=3).counts(4) == \
        result.counts_list[4]
    assert stop_runner(qnb_home)
    wait_for(lambda: not any(_alive(pid) for pid in pids), 30,
               "the local cluster's workers to exit with the runner")


def test_tls_scheduler_uses_the_credentials_of_dasks_own_config(qnb_home, tmp_path,
                                                                 monkeypatch):
    """A scheduler that demands TLS (as a cluster reached over a network should): the runner
    finds the certificates where any Dask client would, in Dask's configuration."""
    from distributed import LocalCluster
    from distributed.security import Security

    sec = Security.temporary()
    for var, pem in (("CA_FILE", sec.tls_ca_file), ("CLIENT__CERT", sec.tls_client_cert),
                     ("CLIENT__KEY", sec.tls_client_key)):
        path = tmp_path / f"{var.lower()}.pem"
        path.write_text(pem)
        monkeypatch.setenv(f"DASK_DISTRIBUTED__COMM__TLS__{var}", str(path))
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION", "True")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, protocol="tls",
                      security=sec, host="127.0.0.1", **QUIET_SCHEDULER) as lc:
        assert lc.scheduler_address.startswith("tls://127.0.0.1:")
        write_profile("secure", address=lc.scheduler_address)
        circuits = sweep(4)
        result = qnb.submit(circuits, backend="secure", shots=100, seed=8).result(timeout=240)
    assert result.metadata["scheduler"] == lc.scheduler_address
    assert result.counts_list == direct_aer_counts(circuits, 100, 8)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({}, "address", 'executor = "dask" needs an address'),
    ({"address": "scheduler:8786"}, "address", "must be \"local\" or a scheduler address"),
    ({"address": "tcp://h:1", "n_workers": 2}, "n_workers", 'only used with address = "local"'),
    ({"address": "local", "chunk_size": 0}, "chunk_size", "must be at least 1"),
])
def test_bad_dask_profile_names_the_field_and_queues_nothing(qnb_home, store, fields, field,
                                                             message):
    write_profile("cluster", **fields)
    with pytest.raises(SubmitError) as err:
        qnb.submit(sweep(1), backend="cluster")
    assert f"backends.cluster.{field}" in str(err.value) and message in str(err.value)
    assert "qnb.toml" in str(err.value)
    assert store.list(limit=1)[1] == 0


def test_executor_must_be_local_or_dask(qnb_home):
    Path("qnb.toml").write_text('[backends.c]\nprovider = "aer"\nexecutor = "ray"\n')
    with pytest.raises(SubmitError, match=r'line 3: backends\.c\.executor: .*"local" or "dask"'):
        qnb.submit(sweep(1), backend="c")
