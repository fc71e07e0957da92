"""``qnb.qubit`` on a backend that gives samples and Estimator values, not exact states
(hardware, and the simulators of hardware): a batch becomes at most one Estimator job and
one Sampler job, joined back in the tapes' order.

- Without shots, ``qml.expval`` and ``qml.var`` of observables with a Pauli form come from
  the Estimator (a variance as ``<H²> - <H>²``, both in the same PUB).
- With shots, every measurement comes from samples, as PennyLane computes them on its own
  devices: the tape is split into groups of qubit-wise commuting observables, each group's
  diagonalizing gates are appended, and the Sampler's bitstrings go through each
  measurement's ``process_samples``.
- What needs the exact state (``qml.state()``; ``qml.probs`` and friends without shots) is
  refused with a ``DeviceError`` naming the backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pennylane.exceptions import DeviceError
from pennylane.measurements import ExpectationMP, StateMP, VarianceMP

from .circuit import to_circuit


def refuse(provider: Any, what: str, fix: str) -> DeviceError:
    return DeviceError(
        f"qnb.qubit on backend {provider.name!r} (provider {provider.provider_name()!r}): "
        f"{what}; this backend gives samples and Estimator expectation values, not the exact "
        f"state. {fix}")


def check(tape: Any, provider: Any) -> None:
    """Refuse, before any job, a measurement this backend cannot give."""
    for mp in tape.measurements:
        if isinstance(mp, StateMP):
            raise refuse(provider, f"{mp} needs the exact state",
                         "Run it on a simulator backend such as 'aer'.")
        if tape.shots:
            continue
        if not isinstance(mp, (ExpectationMP, VarianceMP)):
            raise refuse(provider, f"{mp} without shots needs the exact state",
                         "Give the QNode shots: qml.set_shots(qnode, shots=1000).")
        if mp.obs is None or mp.obs.pauli_rep is None:
            raise refuse(provider, f"{mp} without shots needs an observable with a Pauli form "
                         "for the Estimator", "Give the QNode shots: "
                         "qml.set_shots(qnode, shots=1000), or write the observable in Paulis.")


def execute(device: Any, provider: Any, tapes: list[Any]) -> tuple[Any, ...]:
    for tape in tapes:
        check(tape, provider)
    results: list[Any] = [None] * len(tapes)
    estimated = [i for i, t in enumerate(tapes) if not t.shots]
    sampled = [i for i, t in enumerate(tapes) if t.shots]
    if estimated:
        for i, value in zip(estimated, _estimate(device, [tapes[i] for i in estimated]),
                            strict=True):
            results[i] = value
    if sampled:
        for i, value in zip(sampled, _sample(device, [tapes[i] for i in sampled]), strict=True):
            results[i] = value
    return tuple(results)


def _pauli_op(obs: Any, wires: list[Any]) -> Any:
    from qiskit.quantum_info import SparsePauliOp

    index = {w: i for i, w in enumerate(wires)}
    terms = [("".join(word[w] for w in word), [index[w] for w in word], complex(coeff))
             for word, coeff in obs.pauli_rep.items()] or [("", [], 0.0)]
    return SparsePauliOp.from_sparse_list(terms, num_qubits=len(wires)).simplify()


def _estimate(device: Any, tapes: list[Any]) -> list[Any]:
    import qnb

    pubs = []
    for tape in tapes:
        wires = device.wires_of(tape)
        observables = []
        for mp in tape.measurements:
            op = _pauli_op(mp.obs, wires)
            observables += [op] if isinstance(mp, ExpectationMP) else [op, op.dot(op).simplify()]
        pubs.append((to_circuit(tape.operations, wires), observables))
    job = qnb.Estimator(device.backend, options=_options(device)).run(pubs)
    device.jobs.append(job)
    out = []
    for tape, pub in zip(tapes, job.result(), strict=True):
        evs = iter(float(v) for v in np.ravel(pub.data.evs))
        values = []
        for mp in tape.measurements:
            mean = next(evs)
            values.append(np.float64(mean if isinstance(mp, ExpectationMP)
                                     else max(next(evs) - mean**2, 0.0)))
        out.append(values[0] if len(values) == 1 else tuple(values))
    return out


def _sample(device: Any, tapes: list[Any]) -> list[Any]:
    """Every tape's groups of commuting measurements as Sampler PUBs of one job."""
    import pennylane as qml

    import qnb

    groups = [qml.transforms.split_non_commuting(t, grouping_strategy="qwc") for t in tapes]
    pubs = []
    for tape, (parts, _) in zip(tapes, groups, strict=True):
        wires = device.wires_of(tape)
        pubs += [(to_circuit([*p.operations, *p.diagonalizing_gates], wires, measure=True),
                  None, p.shots.total_shots) for p in parts]
    job = qnb.Sampler(device.backend, options=_options(device)).run(pubs)
    device.jobs.append(job)
    pub_results = iter(job.result())
    out = []
    for tape, (parts, join) in zip(tapes, groups, strict=True):
        wires = qml.wires.Wires(device.wires_of(tape))
        values = []
        for part in parts:
            # Qiskit's bitstrings have qubit 0 rightmost; PennyLane's samples wire 0 first
            bits = next(pub_results).data.meas.get_bitstrings()
            samples = np.array([[int(b) for b in reversed(s)] for s in bits], dtype=int)
            values.append(_process(part, samples, wires))
        out.append(join(values))
    return out


def _process(tape: Any, samples: Any, wires: Any) -> Any:
    """The tape's measurements from its samples, per bin of a shot vector."""
    def measure(chunk: Any) -> Any:
        values = tuple(mp.process_samples(chunk, wires) for mp in tape.measurements)
        return values[0] if len(values) == 1 else values

    if not tape.shots.has_partitioned_shots:
        return measure(samples)
    return tuple(measure(samples[lo:hi]) for lo, hi in tape.shots.bins())


def _options(device: Any) -> dict[str, Any]:
    seed = device.job_seed()
    return dict(device.options) if seed is None else {**device.options, "seed": seed}
