"""``provider = "aer"``: the local Aer simulator, run in the runner's worker processes (or,
with ``executor = "dask"``, on a Dask cluster)."""

from __future__ import annotations

from typing import Any, ClassVar

from . import dask_executor
from .base import BackendInfo, Field, Provider, check_optimization_level, check_primitive_options
from .simulator import memory_qubits, run_circuits, run_pubs, simulator

PRIMITIVE_OPTIONS = ("seed", "default_shots", "default_precision", "backend_options",
                     "run_options")


class AerProvider(Provider):
    """qiskit-aer's AerSimulator on this machine."""

    kind: ClassVar[str] = "local"
    simulator: ClassVar[bool] = True
    payload_formats: ClassVar[tuple[str, ...]] = ("qpy", "sampler-pubs", "estimator-pubs",
                                                  "pennylane-batch")
    fields: ClassVar[dict[str, Field]] = {
        "method": Field(str),  # Aer's simulation method: automatic, statevector, ...
        "device": Field(str),  # CPU or GPU
        "optimization_level": Field(int),
        "max_qubits": Field(int),
        "description": Field(str),
        "primitive_options": Field(dict),  # defaults for Sampler / Estimator jobs here
        **dask_executor.FIELDS,
    }

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        super().validate_options(options)
        check_optimization_level(options)
        dask_executor.validate(options)

    def max_qubits(self) -> int | None:
        return int(self.options.get("max_qubits") or memory_qubits())

    def describe(self) -> BackendInfo:
        info = super().describe()
        if self.options.get("executor") == "dask":
            info.detail = dask_executor.describe(self.options)
        return info

    def run(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
            options: dict[str, Any]) -> dict[str, Any]:
        from ..circuits import decode
        from ..primitives import pubs

        if payload_format in pubs.KIND_OF_FORMAT:
            kind = pubs.KIND_OF_FORMAT[payload_format]
            return run_pubs(simulator(self.options), kind, pubs.decode(kind, payload),
                            shots=shots, seed=seed, precision=options.get("precision"),
                            optimization_level=self.options.get("optimization_level"),
                            options=options.get("primitive_options"))
        if payload_format == "pennylane-batch":  # the qnb.qubit device's tapes, exactly
            from .aer_tapes import run_tapes

            return run_tapes(simulator(self.options), payload, seed)
        if self.options.get("executor") == "dask":
            return dask_executor.run_on_dask(self.options, payload, shots, seed)
        return run_circuits(simulator(self.options), decode(payload), shots, seed,
                            self.options.get("optimization_level"))

    def check_submission(self, payload_format: str, summary: dict[str, Any],
                         run_options: dict[str, Any]) -> None:
        super().check_submission(payload_format, summary, run_options)
        check_primitive_options(run_options.get("primitive_options"), PRIMITIVE_OPTIONS,
                                self.name)
