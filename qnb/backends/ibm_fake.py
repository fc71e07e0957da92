"""``provider = "ibm-fake"``: a noisy model of an IBM device
(``qiskit_ibm_runtime.fake_provider``), simulated by Aer in the runner's worker processes."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from . import fake_devices, mitigation
from .aer import PRIMITIVE_OPTIONS
from .base import BackendInfo, Field, Provider, check_optimization_level, check_primitive_options
from .simulator import device_simulator, execute, run_pubs, transpile


class IBMFakeProvider(Provider):
    """A fake device's noise model on Aer, with optional readout mitigation."""

    kind: ClassVar[str] = "local"
    simulator: ClassVar[bool] = True
    supports_mitigation: ClassVar[bool] = True
    payload_formats: ClassVar[tuple[str, ...]] = ("qpy", "sampler-pubs", "estimator-pubs")
    fields: ClassVar[dict[str, Field]] = {
        "device": Field(str, required=True),  # a fake_provider class, e.g. FakeManilaV2
        "optimization_level": Field(int),
        "description": Field(str),
        "primitive_options": Field(dict),  # defaults for Sampler / Estimator jobs here
    }

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        super().validate_options(options)
        fake_devices.find(options["device"], "device")
        check_optimization_level(options)

    @property
    def device(self) -> fake_devices.FakeDevice:
        return fake_devices.find(self.options["device"], "device")

    def max_qubits(self) -> int | None:
        return self.device.num_qubits

    def describe(self) -> BackendInfo:
        dev = self.device
        return BackendInfo(self.name, self.provider_name(), dev.num_qubits, True, True,
                           f"noisy model of {dev.backend_name}")

    def run(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
            options: dict[str, Any]) -> dict[str, Any]:
        from ..circuits import decode
        from ..primitives import pubs

        dev = self.device
        sim = device_simulator(dev.load())
        if payload_format in pubs.KIND_OF_FORMAT:
            kind = pubs.KIND_OF_FORMAT[payload_format]
            out = run_pubs(sim, kind, pubs.decode(kind, payload), shots=shots, seed=seed,
                           precision=options.get("precision"),
                           optimization_level=self.options.get("optimization_level"),
                           options=options.get("primitive_options"))
            out["metadata"]["device"] = dev.backend_name
            return out
        t0 = time.perf_counter()
        compiled = transpile(sim, decode(payload), seed, self.options.get("optimization_level"))
        plan, extra, note = mitigation.plan(options, compiled, sim.num_qubits)
        t1 = time.perf_counter()
        counts = execute(sim, compiled + extra, shots, seed)
        t2 = time.perf_counter()
        out: dict[str, Any] = {"metadata": {
            "device": dev.backend_name, "simulator": sim.name, "transpile_seconds": t1 - t0,
            "run_seconds": t2 - t1}}
        return mitigation.apply(out, counts, plan, shots, note)

    def check_submission(self, payload_format: str, summary: dict[str, Any],
                         run_options: dict[str, Any]) -> None:
        super().check_submission(payload_format, summary, run_options)
        check_primitive_options(run_options.get("primitive_options"), PRIMITIVE_OPTIONS,
                                self.name)
