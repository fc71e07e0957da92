"""Aer's simulator, owned in one place: one ``AerSimulator`` per process and settings (or per
fake device), its transpiler target built once, and the transpile-then-run every local
backend (aer, ibm-fake, delayed, Dask chunks) uses."""

from __future__ import annotations

import functools
import math
import time
from collections import OrderedDict
from typing import Any

from .. import progress
from ..circuits import ObjectMemo, structure
from . import ansatz, stage_plugins

DEFAULT_OPTIMIZATION_LEVEL = 2  # what qiskit.transpile uses when none is given

TRANSPILE_CACHE_SIZE = 512  # transpiled circuits kept per process (least recently used go)
TEMPLATE_CACHE_SIZE = 64  # transpiled ansatz templates kept per process (``ansatz``)

#: Aer's shift between the seeds of successive circuits in one run (controller_execute.hpp)
AER_SEED_STRIDE = 2113
#: a job of at least this many circuits is transpiled, then run, in ``PROGRESS_PARTS`` parts,
#: and reports each (its phase, and circuits done)
PROGRESS_MIN_CIRCUITS = 20
PROGRESS_PARTS = 10

_SIMULATORS: dict[Any, Any] = {}
_TARGETS: dict[int, Any] = {}
_PASS_MANAGERS: dict[tuple, Any] = {}
_COMPILED: OrderedDict[tuple, Any] = OrderedDict()
_TEMPLATES: OrderedDict[tuple, Any] = OrderedDict()
_IDEAL: dict[int, bool] = {}


@functools.cache
def memory_qubits() -> int:
    """The widest statevector this machine holds (Aer's own rule: 16 bytes per amplitude;
    read once per process: every submit asks)."""
    try:
        import psutil

        total = psutil.virtual_memory().total
    except Exception:
        return 30
    return int(math.log2(total / 16))


def simulator(options: dict[str, Any]) -> Any:
    """The AerSimulator for a profile's ``method`` and ``device`` (building one costs ms)."""
    key = tuple(sorted((k, v) for k, v in options.items() if k in ("method", "device")))
    sim = _SIMULATORS.get(key)
    if sim is None:
        from qiskit_aer import AerSimulator

        sim = _SIMULATORS[key] = AerSimulator(**dict(key))
    return sim


def device_simulator(device: Any) -> Any:
    """``AerSimulator.from_backend(device)`` for a fake device (noise model and all)."""
    key = ("device", type(device).__name__)
    sim = _SIMULATORS.get(key)
    if sim is None:
        from qiskit_aer import AerSimulator

        sim = _SIMULATORS[key] = AerSimulator.from_backend(device)
    return sim


def target(sim: Any) -> Any:
    """``sim.target``, built once: ``AerSimulator.target`` makes a new Target on every access
    and a transpile reads it over a hundred times (about 0.1 s per call)."""
    cached = _TARGETS.get(id(sim))
    if cached is None:
        cached = _TARGETS[id(sim)] = sim.target
    return cached


def pass_manager(sim: Any, level: int, seed: int | None) -> Any:
    """The preset pass manager for ``sim``'s target, built once per level and seed (building
    one costs tens of milliseconds, more than transpiling a small circuit)."""
    from qiskit.transpiler import generate_preset_pass_manager

    key = (id(sim), level, seed)
    pm = _PASS_MANAGERS.get(key)
    if pm is None:
        stage_plugins.install()
        pm = _PASS_MANAGERS[key] = generate_preset_pass_manager(
            optimization_level=level, target=target(sim), seed_transpiler=seed)
    return pm


_STRUCTURES = ObjectMemo()


def _structure(qc: Any) -> tuple:
    """``structure(qc)``, kept per circuit object: a worker decodes a repeated circuit once
    and never changes it (``pubs.decode``), so its structure is computed once too."""
    found = _STRUCTURES.get(qc)
    if found is None:
        found = structure(qc)
        _STRUCTURES.put(qc, found)
    return found


def transpile(sim: Any, circuits: list[Any], seed: int | None, optimization_level: int | None,
              num_processes: int | None = None) -> list[Any]:
    """What ``qiskit.transpile(circuits, sim, seed_transpiler=seed, optimization_level=...)``
    gives, against the cached target. Circuits transpiled before in this process (same
    structure, level and seed: a sweep's repeated ansatz, an optimiser's loop) come from a
    cache instead of the transpiler. A circuit that differs from one transpiled before only
    in its standard gates' angles (an optimiser's next step) gets that circuit's transpiled
    template with its own angles bound (``ansatz``). The circuits must not change afterwards
    (a worker's never do)."""
    level = DEFAULT_OPTIMIZATION_LEVEL if optimization_level is None else optimization_level
    base = (id(sim), level, seed)
    ideal = _ideal(sim)
    keys, todo = [], {}
    for qc in circuits:
        part = ansatz.angles(qc) if ideal else None
        # with angles taken apart the exact key costs no second look at the circuit
        k = (*base, _structure(qc)) if part is None else (*base, part.exact)
        keys.append(k)
        if k not in _COMPILED:
            todo[k] = (qc, part)
    if todo:
        _compile(sim, base, todo, num_processes)
    for k in keys:
        _COMPILED.move_to_end(k)
    found = [_COMPILED[k] for k in keys]
    # only after reading: a batch of more circuits than the cache holds evicts its own first
    while len(_COMPILED) > TRANSPILE_CACHE_SIZE:
        _COMPILED.popitem(last=False)
    return found


def _ideal(sim: Any) -> bool:
    """Whether ``sim`` simulates ideal all-to-all qubits (no noise model, no coupling map):
    only there does a transpiled template with angles bound give the counts of a fresh
    transpile. For a device's simulator the transpiler's rewrites of bound angles change
    the gates the noise model acts on."""
    found = _IDEAL.get(id(sim))
    if found is None:
        found = _IDEAL[id(sim)] = (getattr(sim.options, "noise_model", None) is None
                                   and target(sim).build_coupling_map() is None)
    return found


def _compile(sim: Any, base: tuple, todo: dict[tuple, tuple[Any, ansatz.Angles | None]],
             num_processes: int | None) -> None:
    """Transpile the circuits ``todo`` (cache key -> circuit and its angles taken apart)
    into ``_COMPILED``: those with angles through their ansatz's template (transpiled once,
    in this call if new), the others as they are; all that needs the transpiler in one run."""
    fresh: dict[tuple, Any] = {}  # ("circuit" | "template", key) -> circuit to transpile
    for k, (qc, part) in todo.items():
        if part is None:
            fresh[("circuit", k)] = qc
        elif (*base, part.key) not in _TEMPLATES and ("template", part.key) not in fresh:
            fresh[("template", part.key)] = part.template(qc)
    if fresh:
        level, seed = base[1], base[2]
        compiled = pass_manager(sim, level, seed).run(list(fresh.values()),
                                                      num_processes=num_processes)
        for (kind, k), isa in zip(fresh, compiled, strict=True):
            if kind == "circuit":
                _COMPILED[k] = isa
            else:
                _TEMPLATES[(*base, k)] = ansatz.Template(isa)
    for k, (_, part) in todo.items():
        if part is not None:
            template_key = (*base, part.key)
            _TEMPLATES.move_to_end(template_key)
            _COMPILED[k] = part.bind(_TEMPLATES[template_key])
    while len(_TEMPLATES) > TEMPLATE_CACHE_SIZE:
        _TEMPLATES.popitem(last=False)


def transpile_reporting(sim: Any, circuits: list[Any], seed: int | None,
                        optimization_level: int | None,
                        num_processes: int | None = None) -> list[Any]:
    """``transpile``, in parts that each report progress ("transpiling", circuits done) when
    the job has many circuits and someone follows it: a large job's transpile can take
    longer than its run. Each circuit is transpiled alone anyway (same seed, same result)."""
    n = len(circuits)
    if n < PROGRESS_MIN_CIRCUITS or not progress.active():
        return transpile(sim, circuits, seed, optimization_level, num_processes)
    size = math.ceil(n / PROGRESS_PARTS)
    compiled: list[Any] = []
    progress.report(0, n, "transpiling")
    for start in range(0, n, size):
        compiled += transpile(sim, circuits[start:start + size], seed, optimization_level,
                              num_processes)
        progress.report(len(compiled), n, "transpiling")
    return compiled


def chunk_seed(seed: int | None, start: int) -> int | None:
    """The seed Aer gives circuit ``start`` of a batch run with ``seed_simulator=seed``.

    Aer adds in 64-bit integers, so the sum wraps the same way here.
    """
    if seed is None:
        return None
    return (seed + AER_SEED_STRIDE * start + 2**63) % 2**64 - 2**63


def execute_reporting(sim: Any, compiled: list[Any], shots: int,
                      seed: int | None) -> list[dict[str, int]]:
    """``execute``, in parts that each report progress when the job has many circuits and
    someone follows it: the same counts, as each part starts from the seed Aer would give
    its first circuit in the whole batch."""
    n = len(compiled)
    if n < PROGRESS_MIN_CIRCUITS or not progress.active():
        return execute(sim, compiled, shots, seed)
    size = math.ceil(n / PROGRESS_PARTS)
    counts: list[dict[str, int]] = []
    progress.report(0, n, "simulating")
    for start in range(0, n, size):
        counts += execute(sim, compiled[start:start + size], shots, chunk_seed(seed, start))
        progress.report(len(counts), n, "simulating")
    return counts


def execute(sim: Any, compiled: list[Any], shots: int, seed: int | None) -> list[dict[str, int]]:
    """Run transpiled circuits; their counts, or ``RuntimeError`` with Aer's reasons.

    ``sim.run(...).result().get_counts(i)``, without two of its steps a worker does not
    need: ``run`` hands the call to a thread of Aer's pool and waits for it (a worker waits
    anyway: the call is made in this thread, as that thread would make it), and ``result``
    builds a Qiskit ``Result`` of every experiment's data (the counts are read from Aer's
    output and formatted as ``Result.get_counts`` formats them). A tenth of a small
    circuit's run; a test compares the counts with ``run``'s, seed for seed."""
    from qiskit.result.postprocess import format_counts

    direct = getattr(sim, "_execute_circuits_job", None)
    if direct is None:  # not Aer's backend class (its pool's function): Aer's own way
        return _execute_by_run(sim, compiled, shots, seed)
    output = direct(list(compiled), None, {"shots": shots, "seed_simulator": seed},
                    format_result=False)
    experiments = output.get("results", [])
    if not output.get("success") or len(experiments) != len(compiled):
        reasons = ({str(r.get("status")) for r in experiments if not r.get("success")}
                   or {str(output.get("status"))})
        raise RuntimeError("simulator failed: " + "; ".join(sorted(reasons)))
    counts = []
    for r in experiments:
        if "counts" not in r.get("data", {}):  # as Result.get_counts refuses it
            raise RuntimeError(f"simulator gave no counts for {r.get('header', {}).get('name')}"
                               ": the circuit measures nothing")
        counts.append({str(k): int(v) for k, v in format_counts(r["data"]["counts"],
                                                                r.get("header", {})).items()})
    return counts


def _execute_by_run(sim: Any, compiled: list[Any], shots: int,
                    seed: int | None) -> list[dict[str, int]]:
    result = sim.run(compiled, shots=shots, seed_simulator=seed).result()
    if not result.success:
        reasons = {str(r.status) for r in result.results if not r.success} or {str(result.status)}
        raise RuntimeError("simulator failed: " + "; ".join(sorted(reasons)))
    return [{str(k): int(v) for k, v in result.get_counts(i).items()} for i in range(len(compiled))]


def run_circuits(sim: Any, circuits: list[Any], shots: int, seed: int | None,
                 optimization_level: int | None, *, seed_simulator: int | str | None = "seed",
                 num_processes: int | None = None) -> dict[str, Any]:
    """Transpile for ``sim`` and run: the same counts as ``transpile(circuits, sim,
    seed_transpiler=seed)`` then ``sim.run(..., seed_simulator=seed)``.

    A chunk of a larger batch passes ``seed_simulator`` (the seed Aer gives the chunk's first
    circuit in the whole batch) and ``num_processes=1`` (Dask supplies the parallelism).
    """
    t0 = time.perf_counter()
    compiled = transpile_reporting(sim, circuits, seed, optimization_level, num_processes)
    t1 = time.perf_counter()
    counts = execute_reporting(sim, compiled, shots,
                               seed if seed_simulator == "seed" else seed_simulator)
    t2 = time.perf_counter()
    return {"counts": counts,
            "metadata": {"transpile_seconds": t1 - t0, "run_seconds": t2 - t1,
                         "simulator": sim.name, "method": sim.options.method}}


def prepare() -> None:
    """Load the transpiler's stage plugins a simulator uses (Qiskit's own: the others, such as
    qiskit-ibm-runtime's, load if a pass manager asks for them) and build the default
    simulator's target, in a process that forks workers afterwards (see ``runner.preload``).
    Not the pass manager itself: workers forked from a process that had built one hung at
    their first transpile, so each worker builds its own (0.1 s)."""
    from qiskit.transpiler.preset_passmanagers.builtin_plugins import (  # noqa: F401
        DefaultInitPassManager,
    )

    stage_plugins.install()
    target(simulator({}))


def warm() -> None:
    """Run a tiny job once, so that the first real job finds imports and caches ready."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    run_circuits(simulator({}), [qc], shots=1, seed=None, optimization_level=None)


def transpile_pubs(sim: Any, kind: str, pubs: list[Any], seed: int | None,
                   optimization_level: int | None) -> list[Any]:
    """The PUBs with their circuits transpiled for ``sim`` (against the cached target) and
    Estimator observables laid out on the transpiled circuits' qubits."""
    from ..primitives.pubs import on_circuits

    return on_circuits(kind, pubs, transpile_reporting(sim, [p.circuit for p in pubs], seed,
                                                       optimization_level))


def run_pubs(sim: Any, kind: str, pubs: list[Any], *, shots: int, seed: int | None,
             precision: float | None, optimization_level: int | None,
             options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run Sampler or Estimator PUBs with Aer's own primitives on ``sim`` (the Estimator
    reusing circuits with their saves, see ``aer_estimator``); the job's result
    (``pubs.result_json``) with transpile and run times."""
    from qiskit_aer.primitives import SamplerV2

    from ..primitives import pubs as pub_codec
    from .aer_estimator import ReusingEstimatorV2

    options = dict(options or {})
    seed = options.pop("seed", seed)
    t0 = time.perf_counter()
    isa = transpile_pubs(sim, kind, pubs, seed, optimization_level)
    t1 = time.perf_counter()
    if kind == "sampler":
        options.pop("default_precision", None)  # an Estimator setting (a profile's default)
        primitive = SamplerV2.from_backend(
            sim, default_shots=int(options.pop("default_shots", shots)), seed=seed,
            options=options or None)
        result = primitive.run(isa).result()
    else:
        options.pop("default_shots", None)  # a Sampler setting
        run_options = dict(options.pop("run_options", {}))
        if seed is not None:
            run_options.setdefault("seed_simulator", seed)
        options["run_options"] = run_options
        primitive = ReusingEstimatorV2.from_backend(sim, options=options)
        result = primitive.run_here(isa, precision=precision)
    t2 = time.perf_counter()
    for pub, pub_result in zip(pubs, result, strict=True):  # the user's circuit's, not those
        if "circuit_metadata" in pub_result.metadata:  # of a cached transpiled twin
            pub_result.metadata["circuit_metadata"] = pub.circuit.metadata
    out = pub_codec.result_json(kind, result)
    out["metadata"] = {"transpile_seconds": t1 - t0, "run_seconds": t2 - t1,
                       "simulator": sim.name, "primitive": (
                           "qiskit_aer SamplerV2" if kind == "sampler" else
                           "qiskit_aer EstimatorV2 (circuits with their saves reused)")}
    return out
