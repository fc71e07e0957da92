"""A separate process that submits N small jobs to $QNB_HOME (used by concurrency tests)."""

from __future__ import annotations

import sys

from qiskit import QuantumCircuit

import qnb


def main(n: int, tag: str) -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    for i in range(n):
        qnb.submit(qc, shots=16, seed=i, name=f"{tag}-{i}")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
