"""``provider = "braket-local"``: Amazon Braket's local simulators, run in the runner's worker
processes.

``device = "braket_sv"`` is ``braket.default_simulator.StateVectorSimulator``,
``device = "braket_dm"`` its ``DensityMatrixSimulator`` (the names the Braket SDK's
``LocalSimulator`` uses). The worker transpiles each circuit to the Qiskit gates with a Braket
twin, exports it as OpenQASM 3 (``braket_program``), runs it with the job's shots, and reads
the ``GateModelTaskResult`` back through Braket's schemas into counts. On ``braket_dm``,
``noise = {depolarizing = p, readout = p}`` adds Braket's noise pragmas (a depolarizing
channel after every gate on each of its qubits, a bit flip before each measurement).

A job's seed seeds the simulators' sampling (circuit ``i`` of the job from ``[seed, i]``),
so a seeded job gives the same counts again.
"""

from __future__ import annotations

import time
from importlib import metadata
from typing import Any, ClassVar

from . import braket_program
from .base import BackendInfo, Field, ProfileError, Provider, check_optimization_level
from .simulator import DEFAULT_OPTIMIZATION_LEVEL

#: local device name -> (simulator class, widest circuit). The widths are the simulators'
#: own ``properties.paradigm.qubitCount`` (checked by the tests), known here without importing
#: ``braket.default_simulator``, which takes seconds.
DEVICES: dict[str, tuple[str, int]] = {
    "braket_sv": ("StateVectorSimulator", 26),
    "braket_dm": ("DensityMatrixSimulator", 13),
}
NOISE_KEYS = {"depolarizing": 0.75, "readout": 0.5}  # the largest probability Braket takes


class BraketLocalProvider(Provider):
    """Braket's local state-vector or density-matrix simulator."""

    kind: ClassVar[str] = "local"
    simulator: ClassVar[bool] = True
    fields: ClassVar[dict[str, Field]] = {
        "device": Field(str, required=True),  # braket_sv or braket_dm
        "noise": Field(dict),  # braket_dm: {depolarizing = p, readout = p}
        "optimization_level": Field(int),
        "max_qubits": Field(int),
        "description": Field(str),
    }

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        super().validate_options(options)
        device = options["device"]
        if device not in DEVICES:
            raise ProfileError(f"unknown local device {device!r} (use "
                               f"{' or '.join(map(repr, DEVICES))})", "device")
        check_optimization_level(options)
        noise = options.get("noise")
        if noise is not None:
            if device != "braket_dm":
                raise ProfileError("noise needs the density-matrix simulator: "
                                   "device = \"braket_dm\"", "noise")
            check_noise(noise)
        if options.get("max_qubits", 1) <= 0:
            raise ProfileError("must be a positive number of qubits", "max_qubits")

    @property
    def device(self) -> str:
        return self.options["device"]

    @property
    def noise(self) -> braket_program.Noise:
        return braket_program.Noise(**{k: float(v) for k, v in
                                       (self.options.get("noise") or {}).items()})

    def max_qubits(self) -> int | None:
        widest = DEVICES[self.device][1]
        return min(int(self.options.get("max_qubits", widest)), widest)

    def describe(self) -> BackendInfo:
        try:
            version = metadata.version("amazon-braket-default-simulator")
        except metadata.PackageNotFoundError:
            return BackendInfo(self.name, self.provider_name(), self.max_qubits(), True, False,
                               "amazon-braket-default-simulator is not installed")
        kind = "state-vector" if self.device == "braket_sv" else "density-matrix"
        detail = f"Braket's local {kind} simulator ({version})"
        noise = self.noise
        if noise:
            parts = [f"{k} {getattr(noise, k):g}" for k in NOISE_KEYS if getattr(noise, k)]
            detail += ", noise: " + ", ".join(parts)
        return BackendInfo(self.name, self.provider_name(), self.max_qubits(), True, True, detail)

    def run(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
            options: dict[str, Any]) -> dict[str, Any]:
        from ..circuits import decode

        t0 = time.perf_counter()
        sim = _simulator(self.device)
        level = self.options.get("optimization_level", DEFAULT_OPTIMIZATION_LEVEL)
        compiled = braket_program.transpile(decode(payload), supported_operations(sim), seed,
                                            level)
        programs = [braket_program.to_program(qc, self.noise) for qc in compiled]
        t1 = time.perf_counter()
        counts = [run_program(sim, p, shots, None if seed is None else [seed, i])
                  for i, p in enumerate(programs)]
        t2 = time.perf_counter()
        return {"counts": counts, "metadata": {
            "device": self.device, "simulator": f"braket.default_simulator {type(sim).__name__}",
            "transpile_seconds": t1 - t0, "run_seconds": t2 - t1}}


def check_noise(noise: dict[str, Any]) -> None:
    """``noise`` is ``{depolarizing = p, readout = p}`` with probabilities Braket accepts."""
    for key, value in noise.items():
        if key not in NOISE_KEYS:
            raise ProfileError(f"unknown noise {key!r} (allowed: {', '.join(NOISE_KEYS)})",
                               "noise")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                0 <= value <= NOISE_KEYS[key]):
            raise ProfileError(f"{key} must be a probability from 0 to {NOISE_KEYS[key]}",
                               "noise")


_SIMULATORS: dict[str, Any] = {}


def _simulator(device: str) -> Any:
    sim = _SIMULATORS.get(device)
    if sim is None:
        import braket.default_simulator as ds

        sim = _SIMULATORS[device] = _seedable(getattr(ds, DEVICES[device][0]))()
    return sim


def _seedable(cls: type) -> type:
    """The simulator class with a ``seed`` attribute that seeds the sampling of the next run
    (Braket's simulations draw from an unseeded ``numpy.random.default_rng()``)."""
    import numpy as np

    class Seeded(cls):  # type: ignore[misc, valid-type]
        seed: Any = None

        def initialize_simulation(self, **kwargs: Any) -> Any:
            simulation = super().initialize_simulation(**kwargs)
            if self.seed is not None and hasattr(simulation, "_rng_generator"):
                simulation._rng_generator = np.random.default_rng(self.seed)
            return simulation

    Seeded.__name__ = Seeded.__qualname__ = cls.__name__
    return Seeded


def supported_operations(sim: Any) -> list[str]:
    return list(sim.properties.action["braket.ir.openqasm.program"].supportedOperations)


def run_program(sim: Any, program: braket_program.Program, shots: int,
                seed: Any = None) -> dict[str, int]:
    """Run one program on a local simulator; its counts, read through Braket's schemas."""
    from braket.ir.openqasm import Program

    sim.seed = seed
    try:
        result = sim.run(Program(source=program.source), shots=shots)
    finally:
        sim.seed = None
    parsed = braket_program.parse_result(result.json())
    return braket_program.counts(parsed, program.readout, shots)
