"""``provider = "azure-estimator"`` (the built-in profile ``azure-estimator``): the Quantum
Development Kit's local resource estimator, run in the runner's worker processes.

Each circuit is transpiled to gates the estimator reads (without layout: logical qubits stay
logical), exported as OpenQASM 3 and estimated by ``qdk.openqasm.estimate`` for the
profile's qubit model, error-correction scheme and error budget. A job's result keeps, per
circuit, the physical qubits, the runtime, the T factories, the logical qubit and the error
budget (``resource_estimates``); it has no counts. The QDK's telemetry is turned off in the
worker (``QDK_PYTHON_TELEMETRY=none``) before the QDK is imported.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from .base import BackendInfo, Field, ProfileError, Provider

#: the provider whose jobs are resource estimates: figures per circuit, no counts, no shots
PROVIDER = "azure-estimator"
QUBIT_MODELS = ("qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4",
                "qubit_maj_ns_e4", "qubit_maj_ns_e6")
QEC_SCHEMES = ("surface_code", "floquet_code")
#: the gates circuits are transpiled to before they are exported for the estimator
BASIS = ["x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "cx", "cz", "ccx",
         "swap", "rzz", "reset", "measure"]
#: what a job's result keeps of the estimator's report, per circuit
KEPT = ("physicalCounts", "physicalCountsFormatted", "logicalQubit", "tfactory",
        "errorBudget", "logicalCounts", "jobParams")


class AzureEstimatorProvider(Provider):
    """The QDK's resource estimator on this machine."""

    kind: ClassVar[str] = "local"
    simulator: ClassVar[bool] = True
    fields: ClassVar[dict[str, Field]] = {
        "qubit_model": Field(str),  # one of QUBIT_MODELS (default qubit_gate_ns_e3)
        "qec_scheme": Field(str),  # surface_code (default) or floquet_code
        "error_budget": Field((int, float)),  # total error budget, 0 < b < 1 (default 1e-3)
        "description": Field(str),
    }

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        super().validate_options(options)
        model = options.get("qubit_model")
        if model is not None and model not in QUBIT_MODELS:
            raise ProfileError(f"unknown qubit model {model!r} (use {', '.join(QUBIT_MODELS)})",
                               "qubit_model")
        scheme = options.get("qec_scheme")
        if scheme is not None and scheme not in QEC_SCHEMES:
            raise ProfileError(f"unknown QEC scheme {scheme!r} (use "
                               f"{' or '.join(QEC_SCHEMES)})", "qec_scheme")
        if scheme == "floquet_code" and not str(model or "").startswith("qubit_maj"):
            raise ProfileError("the floquet code needs a Majorana qubit model (qubit_maj_...)",
                               "qec_scheme")
        budget = options.get("error_budget")
        if budget is not None and not 0 < budget < 1:
            raise ProfileError("must be a probability between 0 and 1 (like 0.001)",
                               "error_budget")

    def describe(self) -> BackendInfo:
        info = super().describe()
        info.detail = (f"resource estimates ({self.options.get('qubit_model', QUBIT_MODELS[0])}, "
                       f"{self.options.get('qec_scheme', QEC_SCHEMES[0])}), no counts")
        return info

    def params(self) -> dict[str, Any]:
        """The estimator's input parameters from the profile."""
        params: dict[str, Any] = {}
        if "qubit_model" in self.options:
            params["qubitParams"] = {"name": self.options["qubit_model"]}
        if "qec_scheme" in self.options:
            params["qecScheme"] = {"name": self.options["qec_scheme"]}
        if "error_budget" in self.options:
            params["errorBudget"] = float(self.options["error_budget"])
        return params

    def run(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
            options: dict[str, Any]) -> dict[str, Any]:
        from ..circuits import decode

        return {"resource_estimates": [self.estimate(qc, seed) for qc in decode(payload)],
                "metadata": {"estimator": "qdk.openqasm.estimate", "params": self.params()}}

    def estimate(self, qc: Any, seed: int | None = None) -> dict[str, Any]:
        """One circuit's estimate (the kept parts of the estimator's report)."""
        os.environ["QDK_PYTHON_TELEMETRY"] = "none"  # before the QDK's first import
        from qdk.openqasm import estimate
        from qiskit import qasm3, transpile

        logical = transpile(qc, basis_gates=BASIS, optimization_level=1, seed_transpiler=seed)
        # The QDK deprecates this estimator for ``qdk.qre`` (QRE v3: architectures and ISA
        # queries instead of these qubit and QEC parameters; see docs/backends.md). Its
        # DeprecationWarning is left to show, in the worker's log and in the tests.
        report = estimate(qasm3.dumps(logical), self.params() or None)
        data = dict(report)
        return {key: data[key] for key in KEPT if key in data}


def is_estimate(record: Any) -> bool:
    """Whether a job (its record) is a resource estimate rather than a run with counts."""
    return getattr(record, "provider", None) == PROVIDER


def summary(estimate: dict[str, Any]) -> dict[str, Any]:
    """The figures a reader looks at first, from one circuit's estimate."""
    counts = estimate.get("physicalCounts") or {}
    breakdown = counts.get("breakdown") or {}
    formatted = estimate.get("physicalCountsFormatted") or {}
    tfactory = estimate.get("tfactory") or {}
    return {
        "physical_qubits": counts.get("physicalQubits"),
        "runtime_ns": counts.get("runtime"),
        "runtime": formatted.get("runtime"),
        "logical_qubits": breakdown.get("algorithmicLogicalQubits"),
        "logical_depth": breakdown.get("logicalDepth"),
        "t_states": breakdown.get("numTstates"),
        "t_factories": breakdown.get("numTfactories"),
        "t_factory_qubits": tfactory.get("physicalQubits"),
        "qubits_for_t_factories": breakdown.get("physicalQubitsForTfactories"),
        "qubits_for_algorithm": breakdown.get("physicalQubitsForAlgorithm"),
        "code_distance": (estimate.get("logicalQubit") or {}).get("codeDistance"),
        "error_budget": dict(estimate.get("errorBudget") or {}),
        "rqops": counts.get("rqops"),
    }
