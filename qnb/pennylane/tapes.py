"""Turning a PennyLane QNode or tape into a job payload (in the kernel: no execution here).

On a PennyLane backend (``provider = "pennylane"``) the tape itself is the payload (format
``pennylane-tape``: a pickle of ``{"tape": QuantumScript, "wires": [...]}``, the wires being the
QNode's device wires) and runs on the profile's device in a worker.

On a Qiskit backend a tape whose measurements are all in the computational basis
(``qml.counts``/``qml.probs``/``qml.sample`` without an observable) is converted through
OpenQASM 2 (measuring every wire of the QNode's device) and runs as a Qiskit circuit; its
counts are then in Qiskit's bit order (wire 0 rightmost).
"""

from __future__ import annotations

import pickle
from collections import Counter
from typing import Any

from ..circuits import PENNYLANE, QPY
from ..models import SubmitError

#: the payload format of a ``qnb.qubit`` batch (run by ``backends.aer_tapes``)
BATCH = "pennylane-batch"


class TapeBatch:
    """The tapes one ``qnb.qubit`` execution runs as one job, each with the wires it runs on
    (the device's), already decomposed to the gates the device declares."""

    def __init__(self, tapes: list[Any], wires: list[list[Any]]) -> None:
        self.tapes = list(tapes)
        self.wires = [list(w) for w in wires]

    @property
    def shots(self) -> Any:
        """The most shots any tape takes (None when all are analytic), as ``own_shots`` reads."""
        from pennylane.measurements import Shots

        return Shots(max((t.shots.total_shots or 0 for t in self.tapes), default=0) or None)

    def encode(self, provider: Any) -> tuple[str, bytes, dict[str, Any]]:
        if BATCH not in getattr(provider, "payload_formats", ()):
            raise SubmitError(f"backend {provider.name!r} (provider {provider.provider_name()!r}) "
                              "cannot run qnb.qubit's tapes exactly")
        width = max(len(w) for w in self.wires)
        limit = provider.max_qubits()
        if limit is not None and width > limit:
            raise SubmitError(f"qnb.qubit runs on {width} wires but backend "
                              f"{provider.name!r} takes at most {limit}")
        summaries = [summarize_tape(t, w) for t, w in zip(self.tapes, self.wires, strict=True)]
        gates: Counter[str] = Counter()
        for one in summaries:
            gates.update(one["gate_counts"])
        summary = {**summaries[0], "num_qubits": width,
                   "depth": max(s["depth"] for s in summaries),
                   "gate_counts": dict(gates.most_common()), "num_tapes": len(self.tapes),
                   "measurements": [m for s in summaries for m in s["measurements"]],
                   "analytic": not any(t.shots for t in self.tapes)}
        import cloudpickle  # a measurement class defined in a notebook goes by value

        payload = cloudpickle.dumps({"tapes": self.tapes, "wires": self.wires})
        return BATCH, payload, summary


#: PennyLane measurement processes a job can return, by class name.
MEASUREMENTS = {"CountsMP": "counts", "ProbabilityMP": "probs", "ExpectationMP": "expval",
                "VarianceMP": "var", "SampleMP": "sample"}


def to_tape(obj: Any) -> Any:
    """The tape of a QNode (built without running it) or the tape itself."""
    import pennylane as qml

    if isinstance(obj, qml.tape.QuantumScript):
        return obj
    if isinstance(obj, qml.QNode):
        import inspect

        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        params = [p for p in inspect.signature(obj.func).parameters.values()
                  if p.default is p.empty and p.kind in positional]
        name = getattr(obj.func, "__name__", "qnode")
        if params:
            args = ", ".join(p.name for p in params)
            raise SubmitError(
                f"the QNode {name}({args}) needs arguments; submit its tape with them bound, "
                f"e.g. qml.workflow.construct_tape({name})({args})")
        return qml.workflow.construct_tape(obj)()
    raise SubmitError(
        f"got a PennyLane {type(obj).__name__}; submit a QNode or a tape (QuantumScript)")


def own_shots(obj: Any) -> int | None:
    """The shots a QNode or tape was given the PennyLane way (``qml.set_shots``, the device's
    ``shots``), or None when it is analytic: they win over qnb's default."""
    shots = getattr(obj, "shots", None)
    total = getattr(shots, "total_shots", None)
    return int(total) if total else None


def all_wires(obj: Any, tape: Any) -> list[Any]:
    """The wires a result is over: a QNode's device wires (``qml.counts()`` measures all of
    them, used or not), then any others the tape uses."""
    wires = list(getattr(getattr(obj, "device", None), "wires", None) or [])
    return wires + [w for w in tape.wires if w not in wires]


def measurement_kind(mp: Any) -> str:
    kind = MEASUREMENTS.get(type(mp).__name__)
    if kind is None:
        raise SubmitError(
            f"{type(mp).__name__} ({mp}) cannot be returned by a job; use qml.counts, "
            "qml.probs, qml.sample, qml.expval or qml.var")
    return kind


def summarize_tape(tape: Any, wires: list[Any]) -> dict[str, Any]:
    """Qubits, depth, gate counts and measurements, like ``circuits.summarize``."""
    level: dict[Any, int] = {}
    for op in tape.operations:
        depth = 1 + max((level.get(w, 0) for w in op.wires), default=0)
        for w in op.wires:
            level[w] = depth
    return {
        "num_qubits": len(wires),
        "num_clbits": 0,
        "depth": max(level.values(), default=0),
        "gate_counts": dict(Counter(op.name for op in tape.operations).most_common()),
        "measurements": [str(mp) for mp in tape.measurements],
        "framework": "pennylane",
    }


def encode_pennylane(obj: Any, provider: Any) -> tuple[str, bytes, dict[str, Any]]:
    """``(payload format, payload, summary)`` for a QNode/tape (or a ``TapeBatch``) on
    ``provider``'s backend."""
    if isinstance(obj, TapeBatch):
        return obj.encode(provider)
    tape = to_tape(obj)
    if not tape.measurements:
        raise SubmitError("the PennyLane circuit returns no measurement; end it with e.g. "
                          "return qml.counts()")
    kinds = [measurement_kind(mp) for mp in tape.measurements]
    wires = all_wires(obj, tape)
    limit = provider.max_qubits()
    if limit is not None and len(wires) > limit:
        raise SubmitError(f"the PennyLane circuit uses {len(wires)} wires but backend "
                          f"{provider.name!r} takes at most {limit}")
    formats = getattr(provider, "payload_formats", (QPY,))
    if PENNYLANE in formats:
        payload = pickle.dumps({"tape": tape, "wires": wires})
        return PENNYLANE, payload, summarize_tape(tape, wires)
    return _to_qiskit(obj, tape, kinds, wires, provider)


def _to_qiskit(obj: Any, tape: Any, kinds: list[str], wires: list[Any], provider: Any
               ) -> tuple[str, bytes, dict[str, Any]]:
    import pennylane as qml

    from ..circuits import check_circuits, encode, parse_qasm, summarize

    if any(k in ("expval", "var") for k in kinds) or any(
            mp.obs is not None for mp in tape.measurements):
        raise SubmitError(
            f"backend {provider.name!r} runs Qiskit circuits: a PennyLane circuit goes there "
            "only when it measures in the computational basis (qml.counts(), qml.probs(), "
            "qml.sample() without an observable); run expectation values on a PennyLane "
            "backend (provider 'pennylane')")
    qc = parse_qasm(qml.to_openqasm(tape, wires=qml.wires.Wires(wires), measure_all=True))
    qc.name = getattr(getattr(obj, "func", None), "__name__", None) or "pennylane"
    check_circuits([qc], provider.max_qubits(), provider.name)
    summary = summarize([qc])
    summary["converted_from"] = "pennylane (OpenQASM 2); counts in Qiskit order, wire 0 rightmost"
    return QPY, encode([qc]), summary
