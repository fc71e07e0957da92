"""Readout-error mitigation with mthree (M3), shared by the noisy backends.

The calibration runs inside the user's own job, so a remote job needs no second trip
through the queue: two extra circuits prepare every measured qubit in |0> and in |1>
(M3's "marginal" calibration). Their counts give each qubit's 2x2 assignment matrix, and
M3 (``M3Mitigation.cals_from_matrices`` / ``apply_correction`` /
``nearest_probability_distribution``) does the correction.

A result then carries ``"mitigated"``: one dict per circuit of mitigated probabilities (M3's
nearest probability distribution, summing to 1, in the raw counts' bitstring format), and
``metadata["mitigation"]`` says how it was made, or why it could not be.
"""

from __future__ import annotations

from typing import Any

CAL_PREFIX = "qnb_readout_cal"


class MitigationError(ValueError):
    """The circuits cannot be mitigated (e.g. a classical bit is not a final measurement)."""


def measurement_maps(compiled: list[Any]) -> list[dict[int, int]]:
    """For each transpiled circuit, ``{classical bit: physical qubit}`` of its final measurements.

    Raises ``MitigationError`` when a circuit has classical bits that no final measurement
    writes (mid-circuit measurements only, unused bits): M3 corrects whole bitstrings.
    """
    from mthree.utils import final_measurement_mapping

    maps = []
    for i, qc in enumerate(compiled):
        mapping = {int(k): int(v) for k, v in final_measurement_mapping(qc).items()}
        if sorted(mapping) != list(range(qc.num_clbits)) or not mapping:
            raise MitigationError(
                f"circuit {i} ({qc.name}): readout mitigation needs every classical bit to hold a "
                f"final measurement; {qc.num_clbits} bits, {len(mapping)} final measurements")
        maps.append(mapping)
    return maps


def measured_qubits(maps: list[dict[int, int]]) -> list[int]:
    return sorted({q for m in maps for q in m.values()})


def calibration_circuits(qubits: list[int], num_qubits: int) -> list[Any]:
    """Two device-wide circuits: ``qubits`` measured after preparing all |0>, then all |1>."""
    from qiskit import ClassicalRegister, QuantumCircuit

    circuits = []
    for state in (0, 1):
        qc = QuantumCircuit(num_qubits, name=f"{CAL_PREFIX}_{state}")
        qc.add_register(ClassicalRegister(len(qubits), "cal"))
        if state:
            for q in qubits:
                qc.x(q)
        for j, q in enumerate(qubits):
            qc.measure(q, j)
        circuits.append(qc)
    return circuits


def _assignment_matrices(qubits: list[int], cal0: dict[str, int], cal1: dict[str, int]
                         ) -> dict[int, Any]:
    """Per qubit, M3's calibration matrix ``[[P(0|0), P(0|1)], [P(1|0), P(1|1)]]``."""
    import numpy as np

    def ones_fraction(counts: dict[str, int], j: int) -> float:
        total = sum(counts.values()) or 1
        return sum(v for k, v in counts.items() if k.replace(" ", "")[-1 - j] == "1") / total

    out = {}
    for j, q in enumerate(qubits):
        p10 = ones_fraction(cal0, j)  # read 1, prepared 0
        p11 = ones_fraction(cal1, j)
        out[q] = np.array([[1 - p10, 1 - p11], [p10, p11]], dtype=np.float32)
    return out


def _respace(bits: str, template: str) -> str:
    """Give ``bits`` the register spacing of a raw counts key (``"01 1"``)."""
    if " " not in template:
        return bits
    out, i = [], 0
    for ch in template:
        if ch == " ":
            out.append(" ")
        else:
            out.append(bits[i])
            i += 1
    return "".join(out)


def mitigate(counts_list: list[dict[str, int]], maps: list[dict[int, int]],
             cal_counts: list[dict[str, int]], qubits: list[int], shots: int
             ) -> tuple[list[dict[str, float]], dict[str, Any]]:
    """Mitigated probabilities per circuit, and a description for the result's metadata."""
    import mthree

    mats = _assignment_matrices(qubits, cal_counts[0], cal_counts[1])
    width = max(qubits) + 1
    mit = mthree.M3Mitigation()
    mit.cals_from_matrices([mats.get(q) for q in range(width)])
    mitigated = []
    for counts, mapping in zip(counts_list, maps, strict=True):
        if not counts:
            mitigated.append({})
            continue
        template = next(iter(counts))
        flat = {k.replace(" ", ""): int(v) for k, v in counts.items()}
        quasi = mit.apply_correction(flat, [mapping[c] for c in sorted(mapping)])
        probs = quasi.nearest_probability_distribution()
        mitigated.append({_respace(k, template): round(float(p), 6)
                          for k, p in sorted(probs.items()) if p > 1e-9})
    info = {
        "method": "mthree",
        "calibration": "marginal: measured qubits prepared all in |0> and all in |1>, "
                       "in the same job",
        "qubits": qubits,
        "calibration_shots": shots,
        "readout_fidelity": {str(q): round(float((m[0, 0] + m[1, 1]) / 2), 4)
                             for q, m in mats.items()},
    }
    return mitigated, info


def plan(options: dict[str, Any], compiled: list[Any], num_qubits: int
         ) -> tuple[dict[str, Any] | None, list[Any], str | None]:
    """(plan, calibration circuits to append, why not) for a job that asked for ``mitigate``.

    The plan is JSON: which results are calibration circuits and which qubit each classical
    bit measured. A remote job keeps it in the store until its result arrives.
    """
    if not options.get("mitigate"):
        return None, [], None
    try:
        maps = measurement_maps(compiled)
    except MitigationError as exc:
        return None, [], str(exc)
    qubits = measured_qubits(maps)
    made = {"circuits": len(compiled), "maps": [{str(k): v for k, v in m.items()} for m in maps],
            "qubits": qubits}
    return made, calibration_circuits(qubits, num_qubits), None


def apply(out: dict[str, Any], counts: list[dict[str, int]], made: dict[str, Any] | None,
          shots: int, note: str | None) -> dict[str, Any]:
    """Fill ``out`` with ``counts`` (and ``mitigated``, ``metadata.mitigation``) from every
    circuit's counts, calibration circuits last."""
    meta = out.setdefault("metadata", {})
    if made is None:
        out["counts"] = counts
        if note:
            meta["mitigation"] = {"error": note}
        return out
    n = made["circuits"]
    maps = [{int(k): int(v) for k, v in m.items()} for m in made["maps"]]
    out["counts"] = counts[:n]
    out["mitigated"], meta["mitigation"] = mitigate(
        counts[:n], maps, counts[n:n + 2], made["qubits"], shots)
    return out
