"""``qml.device("qnb.qubit", wires=N, backend="NAME")``: a PennyLane device whose every batch of
tapes runs as qnb jobs on a qnb backend (shots the PennyLane way: ``qml.set_shots``).

The device declares its gates, observables and measurements (``circuit.capabilities``);
PennyLane decomposes every other operation to those, defers mid-circuit measurements, expands
broadcasts and builds parameter-shift gradient tapes, so QNodes, optimisers and gradients run
unchanged. Where the batch runs depends on the backend:

- **Aer** (a backend that runs ``pennylane-batch`` payloads): the whole batch is one job, and
  every value comes from the exact final state in the worker (``backends.aer_tapes``):
  ``qml.probs``, ``qml.state``, ``qml.expval`` / ``qml.var`` of any observable, exactly
  without shots, sampled from that state with shots; tapes that mix them are fine.
- **Any other backend** (hardware, or simulators of it): what samples and Estimator PUBs
  give (``hardware``): expectation values and variances of Pauli observables from the
  Estimator, everything else from the Sampler with shots; a measurement that needs the
  exact state (``qml.state()``, or ``qml.probs`` without shots) is refused, naming the
  backend. A batch mixing them is split into one Estimator and one Sampler job.

Gradients: parameter-shift (the default) and finite differences, built by PennyLane as more
tapes. The device computes no derivatives itself (its values come from jobs, not from a
differentiable simulation here), so PennyLane refuses ``diff_method="adjoint"`` and
``"backprop"`` ("does not support adjoint").
"""

from __future__ import annotations

from typing import Any

from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.capabilities import observable_stopping_condition_factory
from pennylane.devices.modifiers import simulator_tracking, single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    device_resolve_dynamic_wires,
    validate_device_wires,
    validate_measurements,
    validate_observables,
)
from pennylane.exceptions import DeviceError
from pennylane.transforms import broadcast_expand, defer_measurements
from pennylane.transforms.core import CompilePipeline

from .circuit import capabilities
from .tapes import BATCH


@simulator_tracking
@single_tape_support
class QnbQubit(Device):
    """PennyLane device running each batch of tapes as qnb jobs (see the module docstring)."""

    name = "qnb.qubit"
    capabilities = capabilities()

    def __init__(self, wires: Any = None, shots: Any = None, *, backend: str | None = None,
                 seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        super().__init__(wires=wires, shots=shots)
        self.backend = backend
        self.seed = seed
        self.options = dict(options or {})
        self.jobs: list[Any] = []  # every qnb job this device ran, oldest first

    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None
                              ) -> CompilePipeline:
        """PennyLane's own transforms, from the declared capabilities: mid-circuit measurements
        deferred, every operation not declared decomposed (an initial state preparation
        kept), work wires taken from the device's free wires, broadcasts expanded, then
        wires, measurements and observables checked."""
        caps = self.capabilities
        analytic, finite = caps.filter(finite_shots=False), caps.filter(finite_shots=True)
        program = CompilePipeline()
        program.add_transform(defer_measurements, allow_postselect=False)
        program.add_transform(decompose, stopping_condition=analytic.supports_operation,
                              stopping_condition_shots=finite.supports_operation,
                              skip_initial_state_prep=True, device_wires=self.wires,
                              target_gates=caps.gate_set(), name=self.name)
        program.add_transform(device_resolve_dynamic_wires, wires=self.wires, allow_resets=False)
        program.add_transform(broadcast_expand)
        program.add_transform(validate_device_wires, self.wires, name=self.name)
        # PennyLane's own rule, as on lightning.qubit: any measurement of the state without
        # shots (qml.state, qml.probs, ... and a user's own StateMeasurement), any measurement
        # of samples with shots (not qml.state)
        program.add_transform(validate_measurements, name=self.name)
        program.add_transform(
            validate_observables, name=self.name,
            stopping_condition=observable_stopping_condition_factory(analytic),
            stopping_condition_shots=observable_stopping_condition_factory(finite))
        return program

    def supports_derivatives(self, execution_config: ExecutionConfig | None = None,
                             circuit: Any = None) -> bool:
        return False  # PennyLane builds parameter-shift tapes instead

    def execute(self, circuits: Any, execution_config: ExecutionConfig | None = None) -> Any:
        circuits = list(circuits)
        if not circuits:
            return ()
        provider = self.provider()
        if BATCH in provider.payload_formats:
            return self._exact(circuits)
        from .hardware import execute

        return execute(self, provider, circuits)

    # -- where the jobs go --------------------------------------------------------------
    def provider(self) -> Any:
        """The qnb provider of this device's backend (the configured default when none)."""
        from ..backends.registry import make_provider
        from ..config import ConfigError, UnknownBackend, load_config, qnb_home
        from ..defaults import chosen_backend

        try:
            return make_provider(load_config(qnb_home()).profile(self.backend or chosen_backend()))
        except (UnknownBackend, ConfigError) as exc:
            raise DeviceError(f"qnb.qubit: {exc}") from None

    def job_seed(self) -> int | None:
        """A seeded device gives each job its own seed (seed + the number of jobs before it),
        so shot noise differs between jobs yet repeats from run to run."""
        return None if self.seed is None else self.seed + len(self.jobs)

    def wires_of(self, tape: Any) -> list[Any]:
        """The wires a tape runs on: the device's, or (a device made without wires) its own."""
        return list(self.wires) if self.wires else list(tape.wires)

    def _exact(self, tapes: list[Any]) -> tuple[Any, ...]:
        from ..api import submit
        from .results import decode
        from .tapes import TapeBatch

        batch = TapeBatch(tapes, [self.wires_of(t) for t in tapes])
        job = submit(batch, backend=self.backend, name=self.name, seed=self.job_seed())
        self.jobs.append(job)
        values = job.result().extra["pennylane"]
        return tuple(decode(v) for v in values)
