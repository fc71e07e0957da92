"""Aer's ``EstimatorV2`` for a worker that runs one ansatz many times.

Aer's ``EstimatorV2`` copies each PUB's circuit and appends a ``save_expectation_value``
instruction per Pauli of its observables before every run: for a 4-qubit ansatz and seven
Paulis that is about half of its time (3 of 6 ms here). A worker runs the same transpiled
circuit (``simulator.transpile`` caches it) with new parameter values at every step of an
optimiser's loop, so it builds that circuit once per transpiled circuit and Pauli set and
binds each job's values to it.

Everything else is Aer's ``EstimatorV2._run_pub`` of qiskit-aer 0.18, line for line (0.17
differs only in how it finds a parameter point's index): the same simulation, broadcasting,
values, seeded noise for ``precision > 0`` and metadata. ``tests/test_primitives.py``
compares the two on every shape of PUB, so a change in Aer shows up there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.primitives.containers import DataBin, PrimitiveResult, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.quantum_info import Pauli
from qiskit_aer.primitives import EstimatorV2

from ..circuits import ObjectMemo

PAULI_SETS_KEPT = 8  # prepared copies kept per circuit (one per set of observables' Paulis)

# transpiled circuit -> {its Paulis: the copy with saves}; an entry goes with its circuit
# (when the transpile cache lets it go)
_PREPARED = ObjectMemo()


def prepared(circuit: Any, paulis: frozenset[str]) -> Any:
    """``circuit`` with a ``save_expectation_value`` for each of ``paulis`` (labelled by it),
    built once and kept. Neither circuit may change afterwards (a worker's never do)."""
    by_paulis = _PREPARED.get(circuit)
    if by_paulis is None:
        by_paulis = {}
        _PREPARED.put(circuit, by_paulis)
    saving = by_paulis.get(paulis)
    if saving is None:
        saving = circuit.copy()
        for pauli in sorted(paulis):
            saving.save_expectation_value(Pauli(pauli), qubits=range(circuit.num_qubits),
                                          label=pauli)
        if len(by_paulis) >= PAULI_SETS_KEPT:
            by_paulis.clear()
        by_paulis[paulis] = saving
    return saving


class ReusingEstimatorV2(EstimatorV2):
    """``qiskit_aer.primitives.EstimatorV2`` that reuses each circuit with its saves."""

    def run_here(self, pubs: list[Any], *, precision: float | None = None) -> PrimitiveResult:
        """``run(pubs, precision=...).result()`` in the calling thread. ``run`` starts a
        thread per call so as to return a job at once (0.7 of a small PUB's 3.6 ms here); a
        worker process waits for the result anyway."""
        if precision is None:
            precision = self.options.default_precision
        coerced = [EstimatorPub.coerce(pub, precision) for pub in pubs]
        self._validate_pubs(coerced)
        return self._run(coerced)

    def _run_pub(self, pub: EstimatorPub) -> PubResult:
        observables = pub.observables
        parameter_values = pub.parameter_values
        precision = pub.precision

        # calculate broadcasting of parameters and observables
        param_shape = parameter_values.shape
        param_indices = np.fromiter(np.ndindex(param_shape), dtype=object).reshape(param_shape)
        bc_param_ind, bc_obs = np.broadcast_arrays(param_indices, observables)

        paulis = frozenset(pauli for obs_dict in observables.ravel() for pauli in obs_dict)
        circuit = prepared(pub.circuit, paulis)  # the only change from Aer's own
        param_array = parameter_values.as_array(circuit.parameters)
        parameter_binds = {p: param_array[..., i].ravel() for i, p in enumerate(circuit.parameters)}
        result = self._backend.run(
            circuit, parameter_binds=[parameter_binds], **self.options.run_options
        ).result()

        # calculate expectation values (evs) and standard errors (stds)
        flat_index_map = {tup: i for i, tup in enumerate(param_indices.ravel())}
        evs = np.zeros_like(bc_param_ind, dtype=float)
        stds = np.full(bc_param_ind.shape, precision)
        for index in np.ndindex(*bc_param_ind.shape):
            param_index = bc_param_ind[index]
            flat_index = flat_index_map[param_index]
            for pauli, coeff in bc_obs[index].items():
                expval = result.data(flat_index)[pauli]
                evs[index] += expval * coeff
        if precision > 0:
            rng = np.random.default_rng(self.options.run_options.get("seed_simulator"))
            if not np.all(np.isreal(evs)):
                raise ValueError("Given operator is not Hermitian and noise cannot be added.")
            evs = rng.normal(evs, precision, evs.shape)
        return PubResult(
            DataBin(evs=evs, stds=stds, shape=evs.shape),
            metadata={
                "target_precision": precision,
                "circuit_metadata": pub.circuit.metadata,
                "simulator_metadata": result.metadata,
            },
        )
