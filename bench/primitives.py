"""Qiskit primitives through qnb against Aer's own primitives in-process (the floor), in the
same run: a 200-point Sampler PUB, and a 20-step COBYLA VQE with an Estimator."""

from __future__ import annotations

import statistics
import time
from typing import Any

from .common import fresh_home


def _ansatz(n: int = 4, reps: int = 2) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    theta = ParameterVector("t", n * (reps + 1))
    qc = QuantumCircuit(n)
    k = 0
    for layer in range(reps + 1):
        for q in range(n):
            qc.ry(theta[k], q)
            k += 1
        if layer < reps:
            for q in range(n - 1):
                qc.cx(q, q + 1)
    return qc


def _hamiltonian() -> Any:
    from qiskit.quantum_info import SparsePauliOp

    return SparsePauliOp(["ZZII", "IZZI", "IIZZ", "XIII", "IXII", "IIXI", "IIIX"],
                         [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5])


def sampler_sweep(quick: bool) -> dict[str, Any]:
    """A 200-point (50 quick) Sampler PUB, 1,000 shots: qnb.Sampler's submit-to-result time
    over Aer's SamplerV2 run in-process on the same PUB, medians of several runs."""
    import numpy as np
    from qiskit_aer.primitives import SamplerV2

    import qnb

    points, runs = (50, 3) if quick else (200, 7)
    qc = _ansatz()
    qc.measure_all()
    values = np.random.default_rng(1).uniform(-np.pi, np.pi, (points, qc.num_parameters))
    pub = (qc, values)
    floor, ours = [], []
    with fresh_home():
        sampler = qnb.Sampler(options={"seed": 3})
        sampler.run([pub], shots=100).result()  # a warm runner, as in a working session
        for _ in range(runs):
            t0 = time.perf_counter()
            SamplerV2(seed=3).run([pub], shots=1000).result()
            floor.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sampler.run([pub], shots=1000).result()
            ours.append(time.perf_counter() - t0)
    f, o = statistics.median(floor), statistics.median(ours)
    return {"points": points, "runs": runs, "aer_in_process_s": f, "qnb_s": o, "ratio": o / f}


def vqe_cobyla(quick: bool) -> dict[str, Any]:
    """A COBYLA VQE of a 4-qubit Hamiltonian, 20 steps (8 quick): qnb.Estimator against
    Aer's EstimatorV2 in-process, the whole loop timed, medians of several runs."""
    import numpy as np
    from qiskit_aer.primitives import EstimatorV2
    from scipy.optimize import minimize

    import qnb

    steps, runs = (8, 2) if quick else (20, 9)  # a loop is ~0.2 s: nine of each are cheap
    qc, h = _ansatz(), _hamiltonian()
    x0 = np.full(qc.num_parameters, 0.1)

    def loop(estimator: Any) -> float:
        def energy(x: Any) -> float:
            return float(estimator.run([(qc, h, x)]).result()[0].data.evs)

        t0 = time.perf_counter()
        minimize(energy, x0, method="COBYLA", options={"maxiter": steps})
        return time.perf_counter() - t0

    floor, ours = [], []
    with fresh_home():
        est = qnb.Estimator()
        est.run([(qc, h, x0)]).result()  # warm runner
        for _ in range(runs):
            floor.append(loop(EstimatorV2()))
            ours.append(loop(est))
    f, o = statistics.median(floor), statistics.median(ours)
    return {"steps": steps, "runs": runs, "aer_in_process_s": f, "qnb_s": o, "ratio": o / f,
            "qnb_per_step_ms": 1000 * o / steps}
