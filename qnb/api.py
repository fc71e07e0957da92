"""The one submit path and the Python entry points: ``submit``, ``get_job`` and ``jobs``.

The magics, the command line and the REST API all submit through ``submit``: it parses and
checks in the calling process, writes one QUEUED job and wakes the runner; nothing here
transpiles or simulates.
"""

from __future__ import annotations

import os
import time
import weakref
from pathlib import Path
from typing import Any

from .config import Config, ConfigError, UnknownBackend, load_config, qnb_home
from .defaults import chosen_backend
from .job import Job
from .models import JobRecord, JobStatus, SubmitError, check_tags, parse_since
from .primitives.job import make_job
from .store import get_store, new_job_id
from .teams.access import Caller
from .teams.budgets import PAID_PROVIDERS
from .teams.groups import Team, current_user, team_of
from .teams.spending import reservation

DEFAULT_SHOTS = 1024
MAX_SHOTS = 10_000_000
MAX_NAME = 200

def check_shots(shots: Any) -> int:
    if isinstance(shots, bool) or not isinstance(shots, int):  # Qiskit's TypeError, too
        from .primitives.pubs import refusal

        raise refusal(TypeError(f"shots must be a positive integer (at most {MAX_SHOTS:,}), "
                                f"got {shots!r}"))
    if not 0 < shots <= MAX_SHOTS:
        raise SubmitError(f"shots must be a positive integer (at most {MAX_SHOTS:,}), got {shots!r}")
    return shots


def check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SubmitError(f"seed must be a non-negative integer, got {seed!r}")
    return seed


def check_name(name: Any) -> str | None:
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
        raise SubmitError(f"name must be a string of at most {MAX_NAME} characters")
    return name


def check_backend_name(backend: Any) -> str | None:
    if backend is not None and (not isinstance(backend, str) or not backend.strip()):
        raise SubmitError(f"backend must be the name of a configured backend, got {backend!r}")
    return backend


def submit(circuits: Any, backend: str | None = None, shots: int | None = None,
           name: str | None = None, seed: int | None = None, *, origin: str | None = None,
           run_options: dict[str, Any] | None = None, home: Path | None = None,
           primitive: str | None = None, precision: float | None = None,
           options: dict[str, Any] | None = None, session: Any = None,
           tags: Any = None, owner: str | None = None, team: Team | None = None) -> Job:
    """Queue ``circuits`` (a QuantumCircuit, a list, OpenQASM text, a PennyLane QNode/tape,
    or Qiskit primitive PUBs) on ``backend`` and return its ``Job`` at once, labelled with
    ``tags`` (a list of strings; see ``models.check_tags``).

    PUBs (or ``primitive="sampler" | "estimator"``) make a primitive job, run with
    ``precision`` (Estimator) and the primitive's ``options``. Inside ``with
    qnb.session(...)`` the job belongs to that session (and its backend is the default).
    Bad input raises ``SubmitError`` and writes nothing. ``home`` is the ``QNB_HOME`` to use
    (default: the environment's). The job's ``owner`` is the user this process acts for
    (``teams.current_user``) unless the caller authenticated another (the REST service,
    which passes that user's ``team`` too).
    A job on a paid backend reserves its estimate against its owner's budgets when it is
    queued; one that would pass a cap raises ``BudgetExceeded`` (nothing written or sent).
    """
    from .backends.azure_estimator import PROVIDER as ESTIMATES
    from .backends.registry import make_provider
    from .circuits import QPY, check_circuits, encode, summarize
    from .inputs import normalize
    from .primitives import pubs
    from .primitives.sessions import current_session

    home = home or qnb_home()
    check_backend_name(backend)
    tags = check_tags(tags)
    session = session if session is not None else current_session()
    try:
        cfg = load_config(home)
        profile = cfg.profile(backend or (session.backend if session else None)
                              or chosen_backend())
    except UnknownBackend as exc:
        raise SubmitError(str(exc), configured=exc.configured) from None
    except ConfigError as exc:
        raise SubmitError(str(exc)) from None
    if session is not None and session.backend != profile.name:
        raise SubmitError(f"session {session.id} runs on backend {session.backend!r}; a job for "
                          f"{profile.name!r} cannot join it (leave the session, or submit there)")
    seed = check_seed(seed)
    check_name(name)
    kind, items = normalize(circuits, primitive)
    if shots is None and kind == "pennylane":
        from .pennylane.tapes import own_shots

        shots = own_shots(items[0])
    shots = check_shots(DEFAULT_SHOTS if shots is None else shots)
    precision = check_precision(precision)
    run = dict(run_options or {})
    provider = make_provider(profile)
    if kind == "pennylane":
        from .pennylane.tapes import encode_pennylane

        payload_format, payload, summary = encode_pennylane(items[0], provider)
        num_circuits = summary.get("num_tapes", 1)
    elif kind in pubs.KINDS:
        coerced = pubs.coerce(kind, items, shots=shots, precision=precision)
        check_circuits([p.circuit for p in coerced], provider.max_qubits(), profile.name,
                       need_measurements=False)
        payload_format = pubs.PAYLOAD_FORMATS[kind]
        payload, summary = pubs.encode(coerced), pubs.summarize(kind, coerced)
        num_circuits = len(coerced)
        if precision is not None:
            run["precision"] = precision
        merged = {**profile.options.get("primitive_options", {}), **(options or {})}
        if seed is not None:
            merged.pop("seed", None)  # the job's own seed wins, kept as the job's seed
        if merged:  # the profile's defaults, then the job's own
            run["primitive_options"] = merged
    else:
        check_circuits(items, provider.max_qubits(), profile.name)
        payload_format, payload, summary = QPY, encode(items), summarize(items)
        num_circuits = len(items)
    if session is not None:
        run["session"] = {"id": session.id, "mode": session.mode, "max_time": session.max_time}
    provider.check_submission(payload_format, summary, run)
    store = get_store(home)
    check_limits(cfg, store, len(payload))
    owner = owner or current_user()
    run_shots = 0 if (kind == pubs.ESTIMATOR or summary.get("analytic")
                      or profile.provider == ESTIMATES) else shots  # no shots are run
    reserve = None
    if profile.provider in PAID_PROVIDERS:  # (the hub's groups are asked only here)
        reserve = reservation(cfg, team or team_of(cfg.team), profile, owner, num_circuits,
                              run_shots, store)
    record = JobRecord(
        id=new_job_id(), backend=profile.name, provider=profile.provider,
        status=JobStatus.QUEUED, seed=seed, shots=run_shots, owner=owner,
        created_at=time.time(), name=name or _default_name(items, kind),
        num_circuits=num_circuits, summary=summary,
        options={"profile": profile.to_spec(), "run": run},
        provider_status="queued", origin=origin or _origin(),
        primitive=kind if kind in pubs.KINDS else None,
        session=session.id if session is not None else None, tags=tags,
    )
    store.add_job(record, payload_format, payload, reservation=reserve)
    from .runner import ensure_runner

    local = provider.kind == "local"
    if local:  # an idle worker claims it at once; the runner need not look
        from .waiters import WORKERS, poke

        poke(store.home, WORKERS)
    ensure_runner(store.home, nudge=not local)
    return make_job(record, store)


def check_limits(cfg: Config, store: Any, payload_bytes: int) -> None:
    """Refuse a job over the configured bounds (``[limits]`` in config.toml), before it is
    written: its circuits' size, and the number of jobs already waiting."""
    most = cfg.limits["max_payload_mb"] * 1024 * 1024
    if payload_bytes > most:
        raise SubmitError(f"the job's circuits take {payload_bytes / 2**20:.1f} MB, over the "
                          f"limit of {cfg.limits['max_payload_mb']} MB ([limits] max_payload_mb "
                          "in config.toml); split it into several jobs")
    waiting = _queue_gauge.waiting(store, cfg.limits["max_queued"])
    if waiting >= cfg.limits["max_queued"]:
        raise SubmitError(f"{waiting:,} jobs are already waiting, the most this store takes "
                          f"([limits] max_queued = {cfg.limits['max_queued']:,}); wait for "
                          "some to finish or cancel some")
    _queue_gauge.added(store)


class _QueueGauge:
    """How many jobs wait in a store, as ``check_limits`` needs it: counted again only when
    the count could be near the limit (half of it, with this process's submits since added)
    or is over a second old, instead of at every submit (on PostgreSQL each count is a
    trip to the server, and a burst of 500 submits paid 500 of them). Other processes'
    submits show within a second."""

    FRESH_SECONDS = 1.0

    def __init__(self) -> None:
        self._seen: weakref.WeakKeyDictionary[Any, tuple[float | None, int]] = (
            weakref.WeakKeyDictionary())  # store -> (when counted, count)

    def waiting(self, store: Any, limit: int) -> int:
        now = time.perf_counter()
        when, count = self._seen.get(store, (None, 0))
        if when is None or now - when > self.FRESH_SECONDS or 2 * count >= limit:
            count = store.count_queued()
            self._seen[store] = (now, count)
        return count

    def added(self, store: Any) -> None:
        when, count = self._seen.get(store, (None, 0))
        if when is not None:
            self._seen[store] = (when, count + 1)


_queue_gauge = _QueueGauge()


def check_precision(precision: Any) -> float | None:
    """None, or a number >= 0 (0: exact values where the backend computes them, as Qiskit's
    and Aer's Estimators take it)."""
    if precision is None:
        return None
    if isinstance(precision, bool) or not isinstance(precision, (int, float)):
        from .primitives.pubs import refusal  # Qiskit refuses it with a TypeError

        raise refusal(TypeError(f"precision must be a real number, got {precision!r}"))
    if not precision >= 0:
        raise SubmitError(f"precision must be a non-negative number, got {precision!r}")
    return float(precision)


def _default_name(items: list[Any], kind: str) -> str | None:
    first = items[0][0] if isinstance(items[0], tuple) else getattr(items[0], "circuit",
                                                                      items[0])
    name = getattr(first, "name", None) if kind != "pennylane" else getattr(
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
    """The job with this id (``JobNotFound`` if there is none; ``NotAllowed`` for a job of
    another user that this user may not see, see ``qnb.teams.access``). In hub mode
    (``QNB_HUB_SERVICE``) the hub service decides, and another user's job is its row."""
    store = get_store()
    record = store.get(job_id.strip() if isinstance(job_id, str) else job_id)
    if record.owner is not None and record.owner != current_user():
        if _hub_mode():
            from .hub import remote

            return make_job(remote.get_record(record.id), store)
        try:
            team = load_config().team
        except ConfigError as exc:
            raise SubmitError(str(exc)) from None
        Caller.local(team).check_read(record)
    return make_job(record, store)


def job_filters(status: Any = None, backend: str | None = None, session: Any = None,
             tag: Any = None, search: str | None = None, since: Any = None, *,
             owner: str | None = None, team: bool = False,
             home: Path | None = None) -> dict[str, Any]:
    """The filters of ``jobs`` and ``jobs_frame`` as ``JobStore.list`` takes them: the jobs
    of the current user by default, of ``owner`` (a teammate), or of every member of the
    user's groups with ``team`` (``NotAllowed`` for an owner outside them)."""
    try:
        cfg = load_config(home)
    except ConfigError as exc:
        raise SubmitError(str(exc)) from None
    if _others(owner, team):  # hub mode: the service says whose jobs the view shows
        from .hub import remote

        owners = remote.view_owners(owner=owner, team=team)
    else:  # (groups are looked up only for a view that needs them)
        owners = Caller.local(cfg.team).owners(owner=owner, team=team)
    try:
        when = parse_since(since)
    except ValueError as exc:
        raise SubmitError(f"since: {exc}") from None
    if isinstance(status, str):
        status = [s.strip() for s in status.split(",") if s.strip()]
    for one in status or []:
        if str(one).upper() not in JobStatus.__members__:
            raise SubmitError(f"unknown status {one!r}; use one of {', '.join(JobStatus)}")
    return {"status": [str(s).upper() for s in status] if status else None,
            "backend": backend, "session": getattr(session, "id", session),
            "tag": [tag] if isinstance(tag, str) else list(tag or []) or None,
            "search": search, "since": when, "owner": owners}


def jobs(status: Any = None, backend: str | None = None, limit: int = 50, *,
         session: Any = None, tag: Any = None, search: str | None = None,
         since: Any = None, owner: str | None = None, team: bool = False) -> list[Job]:
    """The newest jobs of this user, optionally only those with this status (or statuses),
    backend, session, tag (or every tag of a list), ``search`` text (part of the name,
    backend or a tag, or the start of the id; any case) and created ``since`` (a
    ``datetime``, epoch seconds, ISO 8601 text or a duration ago such as ``"7d"``);
    ``owner``: a teammate's instead; ``team=True``: every member's of the user's groups
    (JupyterHub groups under a hub, ``[team.groups]`` of the config otherwise; in hub
    mode the hub service's answer, other users' jobs as their rows)."""
    store = get_store()
    if _others(owner, team):
        from .hub import remote

        own = job_filters(status, backend, session, tag, search, since)
        return [make_job(r, store) for r in remote.records(
            remote.query(own, owner=owner, team=team), limit)]
    records, _ = store.list(limit=limit, **job_filters(status, backend, session, tag, search,
                                                    since, owner=owner, team=team))
    return [make_job(r, store) for r in records]


def jobs_frame(status: Any = None, backend: str | None = None, *, session: Any = None,
               tag: Any = None, search: str | None = None, since: Any = None,
               counts: bool = False, owner: str | None = None, team: bool = False) -> Any:
    """Every job matching the filters of ``jobs`` as a pandas DataFrame, oldest first, with
    the columns of ``qnb export`` (``qnb.export.COLUMNS``; times as UTC timestamps, tags as
    lists); ``counts=True`` adds each job's ``counts``, or ``evs`` and ``stds``."""
    from . import export

    me = current_user()
    if _others(owner, team):  # hub mode: the rows the service gives, results of one's own
        from .hub import remote

        store = get_store()
        found = remote.records(remote.query(job_filters(
            status, backend, session, tag, search, since), owner=owner, team=team), None)
        return export.frame((export.row(r, store.result(r.id) if counts and r.owner in (
            None, me) and r.status is JobStatus.DONE else None, counts=counts)
            for r in reversed(found)), counts=counts)
    return export.frame(export.rows(get_store(), counts=counts,
                                    results_of=lambda r: r.owner in (None, me),
                                    **job_filters(status, backend, session, tag, search, since,
                                                  owner=owner, team=team)),
                        counts=counts)


def _hub_mode() -> bool:
    """Whether the hub service decides about other users' jobs (``QNB_HUB_SERVICE``)."""
    from .hub.client import service_url

    return service_url() is not None


def _others(owner: str | None, team: bool) -> bool:
    """Whether a view of other users' jobs is the hub service's to answer."""
    return bool(team or (owner is not None and owner != current_user())) and _hub_mode()


def usage(by: str = "backend", since: Any = None) -> list[dict[str, Any]]:
    """The usage ledger added up ``by`` backend, day (UTC), tag or status, for jobs that
    finished ``since`` (as for ``jobs``): one dict per group with ``jobs``, ``shots``,
    ``circuits``, ``queue_seconds``, ``run_seconds``, ``qpu_seconds`` and ``cost_estimate``
    (an estimate from the profiles' price tables; None where none applies)."""
    from .models import parse_since

    return get_store().usage(by=by, since=parse_since(since))
