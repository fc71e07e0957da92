"""The Python entry points: ``submit``, ``get_job`` and ``jobs``.

Submitting parses and checks in the calling process, writes one QUEUED job and wakes the
runner; nothing here transpiles or simulates.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from .config import Config, ConfigError, load_config, qnb_home
from .models import JobRecord, JobStatus, SubmitError
from .store import Store, new_job_id

DEFAULT_SHOTS = 1024
MAX_SHOTS = 10_000_000

_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()
_session_backend: str | None = None


def get_store(home: Path | None = None) -> Store:
    """The store of ``home`` (default ``QNB_HOME``), opened once per process."""
    path = (home or qnb_home()).resolve()
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = Store.open(path)
        return store


def set_default_backend(name: str | None) -> None:
    """Set (or with None, clear) this process's default backend; ``%qbackend NAME`` calls it."""
    global _session_backend
    if name is not None:
        load_config().profile(name)  # raises ConfigError listing the configured ones
    _session_backend = name


def default_backend(cfg: Config | None = None) -> str:
    return _session_backend or (cfg or load_config()).default_backend


def check_shots(shots: Any) -> int:
    if isinstance(shots, bool) or not isinstance(shots, int):
        if isinstance(shots, str) and shots.strip().lstrip("+").isdigit():
            shots = int(shots)
        else:
            raise SubmitError(f"shots must be a positive integer, got {shots!r}")
    if shots <= 0:
        raise SubmitError(f"shots must be a positive integer, got {shots}")
    if shots > MAX_SHOTS:
        raise SubmitError(f"shots must be at most {MAX_SHOTS:,}, got {shots:,}")
    return shots


def check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SubmitError(f"seed must be a non-negative integer, got {seed!r}")
    return seed


def submit(circuits: Any, backend: str | None = None, shots: int | None = None,
           name: str | None = None, seed: int | None = None, *, origin: str | None = None,
           run_options: dict[str, Any] | None = None) -> Job:
    """Queue ``circuits`` (a QuantumCircuit, a list, OpenQASM text or a PennyLane QNode/tape)
    on ``backend`` and return its ``Job`` at once. Bad input raises ``SubmitError`` and
    writes nothing."""
    from .backends.registry import make_provider
    from .circuits import QPY, check_circuits, encode, normalize, summarize

    try:
        cfg = load_config()
        profile = cfg.profile(backend or _session_backend)
    except ConfigError as exc:
        raise SubmitError(str(exc)) from None
    shots = check_shots(DEFAULT_SHOTS if shots is None else shots)
    seed = check_seed(seed)
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise SubmitError("name must be a string of at most 200 characters")
    kind, items = normalize(circuits)
    provider = make_provider(profile)
    if kind == "pennylane":
        from .pennylane_support import encode_pennylane

        payload_format, payload, summary = encode_pennylane(items[0], provider)
        num_circuits = 1
    else:
        check_circuits(items, provider.max_qubits(), profile.name)
        payload_format, payload, summary = QPY, encode(items), summarize(items)
        num_circuits = len(items)
    provider.check_submission(payload_format, summary, run_options or {})
    record = JobRecord(
        id=new_job_id(), backend=profile.name, provider=profile.provider,
        status=JobStatus.QUEUED, shots=shots, seed=seed, created_at=time.time(),
        name=name or _default_name(items, kind), num_circuits=num_circuits, summary=summary,
        options={"profile": profile.to_spec(), "run": dict(run_options or {})},
        provider_status="queued", origin=origin or _origin(),
    )
    store = get_store()
    store.add_job(record, payload_format, payload)
    from .runner import ensure_runner

    ensure_runner(store.path.parent)
    return Job(record.id, store=store, record=record)


def _default_name(items: list[Any], kind: str) -> str | None:
    first = items[0]
    name = getattr(first, "name", None) if kind == "qiskit" else getattr(
        getattr(first, "func", None), "__name__", None)
    if not name or name.startswith("circuit-"):
        return None
    return name if len(items) == 1 else f"{name} (+{len(items) - 1})"


def _origin() -> str:
    try:
        from ipykernel.kernelapp import IPKernelApp

        if IPKernelApp.initialized():
            conn = IPKernelApp.instance().connection_file
            return f"kernel:{os.path.basename(conn).removeprefix('kernel-').removesuffix('.json')}"
    except Exception:
        pass
    return f"python:{os.getpid()}"


def get_job(job_id: str) -> Job:
    """The job with this id (``JobNotFound`` if there is none)."""
    store = get_store()
    record = store.get(job_id.strip() if isinstance(job_id, str) else job_id)
    return Job(record.id, store=store, record=record)


def jobs(status: str | None = None, backend: str | None = None, limit: int = 50) -> list[Job]:
    """The newest jobs, optionally only those with this status or backend."""
    store = get_store()
    records, _ = store.list(status=status, backend=backend, limit=limit)
    return [Job(r.id, store=store, record=r) for r in records]


from .job import Job  # noqa: E402  (Job imports nothing from here at module level)
