"""A batch of ``qnb.qubit`` tapes run on Aer in a worker: each tape's exact final state, from
Aer's statevector method (its density matrix with ``method = "density_matrix"``), and every
measurement computed from it by PennyLane's own measurement code, as ``default.qubit`` and
``lightning.qubit`` compute theirs: probabilities, states, expectation values and variances
of any observable exactly without shots; with shots, samples drawn from that state (and
expectation values, counts, ... from those samples).

Payload format ``pennylane-batch``: a pickle of ``{"tapes": [QuantumScript, ...],
"wires": [each tape's wires]}`` (tapes the device has already decomposed to its gates).
"""

from __future__ import annotations

import pickle
import time
from typing import Any

FORMAT = "pennylane-batch"


def _pennylane_order(state: Any, num_wires: int, density: bool) -> Any:
    """Aer's state (qubit 0 least significant) as PennyLane's tensor (wire 0 first axis)."""
    import numpy as np

    arr = np.asarray(state, dtype=complex)
    if not density:
        return arr.reshape([2] * num_wires).transpose(range(num_wires - 1, -1, -1))
    axes = [*range(num_wires - 1, -1, -1), *range(2 * num_wires - 1, num_wires - 1, -1)]
    return arr.reshape([2] * (2 * num_wires)).transpose(axes)


def run_tapes(sim: Any, payload: bytes, seed: int | None) -> dict[str, Any]:
    """The job's result: ``pennylane`` (each tape's result, ``results.encode``d), the
    measurements asked for, and where the values came from."""
    import numpy as np
    from pennylane.devices.qubit.simulate import measure_final_state as measure_pure
    from pennylane.devices.qubit_mixed.simulate import measure_final_state as measure_mixed

    from ..pennylane.circuit import to_circuit
    from ..pennylane.results import encode
    from .simulator import pass_manager

    data = pickle.loads(payload)  # our own store: a trusted payload
    tapes, wires = data["tapes"], data["wires"]
    density = sim.options.method == "density_matrix"
    t0 = time.perf_counter()
    circuits = [to_circuit(t.operations, w) for t, w in zip(tapes, wires, strict=True)]
    if sim.options.method not in ("automatic", "statevector"):  # e.g. density_matrix lacks
        # a few of the gates (crx, cswap, ...); the statevector method takes them all
        circuits = pass_manager(sim, 0, seed).run(circuits)
    saving = []
    for qc in circuits:
        qc = qc.copy()
        if density:
            qc.save_density_matrix(label="state")
        else:
            qc.save_statevector(label="state")
        saving.append(qc)
    t1 = time.perf_counter()
    run = sim.run(saving, shots=1, seed_simulator=seed).result()
    if not run.success:
        raise RuntimeError(f"simulator failed: {run.status}")
    rng = np.random.default_rng(seed)
    values = []
    for i, tape in enumerate(tapes):
        state = _pennylane_order(run.data(i)["state"], len(wires[i]), density)
        # PennyLane's measurement code reads wires as the state's axes: 0 .. n-1
        standard = _on_axes(tape, {w: k for k, w in enumerate(wires[i])})
        measure = measure_mixed if density else measure_pure
        values.append(encode(measure(standard, state, False, rng=rng)))
    t2 = time.perf_counter()
    return {"pennylane": values,
            "measurements": [[str(mp) for mp in t.measurements] for t in tapes],
            "metadata": {"transpile_seconds": t1 - t0, "run_seconds": t2 - t1,
                         "simulator": sim.name, "method": sim.options.method,
                         "values": ("exact, from the final " + (
                             "density matrix" if density else "statevector")
                             + "; with shots, samples drawn from it")}}


def _on_axes(tape: Any, index: dict[Any, int]) -> Any:
    """The tape with each device wire renamed to its axis of the state."""
    from pennylane.tape import QuantumScript

    ops = [op.map_wires(index) for op in tape.operations]
    mps = [mp.map_wires(index) for mp in tape.measurements]
    return QuantumScript(ops, mps, shots=tape.shots)
