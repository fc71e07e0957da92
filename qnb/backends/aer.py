"""The local Aer simulator, run in the runner's worker processes."""

from __future__ import annotations

import math
import os
import time
from typing import Any, ClassVar

from .base import BackendInfo, Field, ProfileError, Provider

_SIMULATORS: dict[tuple, Any] = {}
_TARGETS: dict[int, Any] = {}
DEFAULT_OPTIMIZATION_LEVEL = 2  # what qiskit.transpile uses when none is given


def memory_qubits() -> int:
    """The widest statevector this machine holds (Aer's own rule: 16 bytes per amplitude)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 30
    return int(math.log2(total / 16))


def simulator(options: dict[str, Any]) -> Any:
    """One AerSimulator per process and settings (building one costs milliseconds)."""
    key = tuple(sorted((k, v) for k, v in options.items() if k in ("method", "device")))
    sim = _SIMULATORS.get(key)
    if sim is None:
        from qiskit_aer import AerSimulator

        sim = AerSimulator(**dict(key))
        _SIMULATORS[key] = sim
    return sim


def run_circuits(sim: Any, circuits: list[Any], shots: int, seed: int | None,
                 optimization_level: int | None, *, seed_simulator: int | str | None = "seed",
                 num_processes: int | None = None) -> dict[str, Any]:
    """Transpile for ``sim`` and run: the same result as ``transpile(circuits, sim,
    seed_transpiler=seed)`` then ``sim.run(..., seed_simulator=seed)``.

    A chunk of a larger batch passes ``seed_simulator`` (the seed Aer gives the chunk's first
    circuit in the whole batch) and ``num_processes=1`` (Dask supplies the parallelism).

    ``AerSimulator.target`` builds a new Target on every access and ``transpile`` reads it
    over a hundred times (about 0.1 s per call); the target is built once per simulator here.
    """
    from qiskit.transpiler import generate_preset_pass_manager

    t0 = time.perf_counter()
    target = _TARGETS.get(id(sim))
    if target is None:
        target = _TARGETS[id(sim)] = sim.target
    level = DEFAULT_OPTIMIZATION_LEVEL if optimization_level is None else optimization_level
    pm = generate_preset_pass_manager(optimization_level=level, target=target,
                                      seed_transpiler=seed)
    compiled = pm.run(list(circuits), num_processes=num_processes)
    t1 = time.perf_counter()
    sim_seed = seed if seed_simulator == "seed" else seed_simulator
    result = sim.run(compiled, shots=shots, seed_simulator=sim_seed).result()
    t2 = time.perf_counter()
    if not result.success:
        reasons = {str(r.status) for r in result.results if not r.success} or {str(result.status)}
        raise RuntimeError("simulator failed: " + "; ".join(sorted(reasons)))
    return {
        "counts": [dict(result.get_counts(i)) for i in range(len(compiled))],
        "metadata": {"transpile_seconds": t1 - t0, "run_seconds": t2 - t1,
                     "simulator": sim.name, "method": sim.options.method},
    }


class AerProvider(Provider):
    """``provider = "aer"``: qiskit-aer's AerSimulator on this machine."""

    kind: ClassVar[str] = "local"
    simulator: ClassVar[bool] = True
    fields: ClassVar[dict[str, Field]] = {
        "method": Field(str, help="Aer simulation method (automatic, statevector, ...)"),
        "device": Field(str, help="CPU or GPU"),
        "optimization_level": Field(int, help="transpiler optimisation level 0-3"),
        "max_qubits": Field(int, help="refuse circuits wider than this"),
        "description": Field(str),
        "executor": Field(str, help='"local" (the runner\'s worker pool, default) or "dask"'),
        "address": Field(str, help='Dask scheduler ("tcp://scheduler:8786"), or "local" for '
                                   "a LocalCluster qnb starts and stops"),
        "chunk_size": Field(int, help="circuits per Dask task (default: about 4 per worker "
                                      "thread, at most 250)"),
        "n_workers": Field(int, help='worker processes of the address = "local" cluster '
                                     "(default: CPU count)"),
        "connect_timeout": Field((int, float), help="seconds to reach the Dask scheduler "
                                                    "before the job fails (default 10)"),
    }

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        super().validate_options(options)
        level = options.get("optimization_level")
        if level is not None and level not in (0, 1, 2, 3):
            raise ProfileError("must be 0, 1, 2 or 3", "optimization_level")
        from .dask_executor import validate

        validate(options)

    def max_qubits(self) -> int | None:
        return int(self.options.get("max_qubits") or memory_qubits())

    def describe(self) -> BackendInfo:
        info = super().describe()
        if self.options.get("executor") == "dask":
            from .dask_executor import describe

            info.detail = describe(self.options)
        return info

    def run(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
            options: dict[str, Any]) -> dict[str, Any]:
        from ..circuits import decode

        if self.options.get("executor") == "dask":
            from .dask_executor import run_on_dask

            return run_on_dask(self.options, payload, shots, seed)
        circuits = decode(payload)
        return run_circuits(simulator(self.options), circuits, shots, seed,
                            self.options.get("optimization_level"))
