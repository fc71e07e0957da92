"""``provider = "pennylane"``: PennyLane QNodes run on a PennyLane device in a worker process.

The job's tape runs with the job's shots (``-s``), as on hardware. The result keeps every
measurement and always has ``counts`` to draw:

- ``counts``: one dict per ``qml.counts``/``qml.sample`` measurement. Bitstrings follow
  PennyLane's order (the first wire is the leftmost bit). Without such a measurement, the
  counts come from ``qml.probs`` (probabilities x shots, the sampled counts), and for a
  circuit that only measures ``qml.expval``/``qml.var``, from sampling the same circuit once
  more in the computational basis of all its wires (``metadata.counts_source`` says which).
- ``expvals``, ``vars``: one float per ``qml.expval`` / ``qml.var``, in order.
- ``probs``: one ``{bitstring: probability}`` per ``qml.probs``.
- ``measurements``: each measurement's type, text and wires, in the tape's order.
"""

from __future__ import annotations

import pickle
from functools import cache
from typing import Any, ClassVar

from .base import BackendInfo, Field, ProfileError, Provider

PLUGIN_GROUP = "pennylane.plugins"


@cache
def installed_devices() -> tuple[str, ...]:
    """Device names registered by installed PennyLane plugins (read without importing them)."""
    from importlib.metadata import entry_points

    return tuple(sorted({ep.name for ep in entry_points(group=PLUGIN_GROUP)}))


class PennyLaneProvider(Provider):
    """A PennyLane device (``default.qubit``, ``lightning.qubit``, ...) run in a worker."""

    kind: ClassVar[str] = "local"
    simulator: ClassVar[bool] = True
    payload_formats: ClassVar[tuple[str, ...]] = ("pennylane-tape",)
    fields: ClassVar[dict[str, Field]] = {
        "device": Field(str, required=True),  # PennyLane device name, e.g. lightning.qubit
        "wires": Field(int),  # the most wires a circuit may use
        "device_options": Field(dict),  # extra keyword arguments for qml.device
        "description": Field(str),
    }

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        super().validate_options(options)
        devices = installed_devices()
        if devices and options["device"] not in devices:
            raise ProfileError(f"unknown PennyLane device {options['device']!r} (installed: "
                               f"{', '.join(devices)})", "device")
        if options.get("wires", 1) <= 0:
            raise ProfileError("must be a positive number of wires", "wires")

    def max_qubits(self) -> int | None:
        from .simulator import memory_qubits

        return int(self.options.get("wires") or memory_qubits())

    def describe(self) -> BackendInfo:
        return BackendInfo(self.name, self.provider_name(), self.max_qubits(), True, True,
                           f"PennyLane device {self.options['device']}")

    def run(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
            options: dict[str, Any]) -> dict[str, Any]:
        import pennylane as qml

        if payload_format != "pennylane-tape":
            raise TypeError(f"provider 'pennylane' cannot run a {payload_format!r} payload")
        data = pickle.loads(payload)  # our own store: a trusted payload
        tape = data["tape"].copy(shots=shots)
        wires = data.get("wires") or list(tape.wires)
        device = self._device(wires, seed)
        (raw,) = qml.execute([tape], device, diff_method=None)
        values = raw if len(tape.measurements) > 1 else (raw,)
        out = collect(tape, values, shots, wires)
        if not out["counts"]:
            basis = qml.tape.QuantumScript(tape.operations, [qml.counts(wires=wires)],
                                           shots=shots)
            (counts,) = qml.execute([basis], device, diff_method=None)
            out["counts"] = [_counts(counts)]
            out["metadata"]["counts_source"] = (
                "the circuit sampled again in the computational basis of all its wires")
        out["metadata"].update(device=self.options["device"], shots=shots,
                               bit_order="PennyLane: the first wire is the leftmost bit")
        return out

    def _device(self, wires: Any, seed: int | None) -> Any:
        import pennylane as qml

        kwargs = dict(self.options.get("device_options") or {})
        if seed is not None:
            kwargs["seed"] = seed
        try:
            return qml.device(self.options["device"], wires=wires, **kwargs)
        except TypeError:
            if "seed" not in kwargs:
                raise
            kwargs.pop("seed")
            return qml.device(self.options["device"], wires=wires, **kwargs)


def _counts(value: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in dict(value).items() if int(v)}


def _bits(row: Any) -> str:
    return "".join(str(int(b)) for b in row)


def collect(tape: Any, values: Any, shots: int, wires: list[Any]) -> dict[str, Any]:
    """The JSON result of one executed tape (see the module docstring)."""
    import numpy as np

    from ..pennylane.tapes import measurement_kind

    counts: list[dict[str, int]] = []
    probs: list[dict[str, float]] = []
    expvals: list[float] = []
    variances: list[float] = []
    described = []
    for mp, value in zip(tape.measurements, values, strict=True):
        kind = measurement_kind(mp)
        on = list(mp.wires) or list(wires)
        described.append({"type": kind, "measurement": str(mp),
                          "wires": [w if isinstance(w, int) else str(w) for w in on]})
        if kind == "counts":
            counts.append(_counts(value))
        elif kind == "sample":
            arr = np.asarray(value)
            if mp.obs is None and mp.mv is None:
                rows = arr.reshape(len(arr), -1)
                tally: dict[str, int] = {}
                for row in rows:
                    key = _bits(row)
                    tally[key] = tally.get(key, 0) + 1
            else:
                tally = {}
                for v in arr.ravel():
                    key = str(v.item())
                    tally[key] = tally.get(key, 0) + 1
            counts.append(dict(sorted(tally.items())))
        elif kind == "probs":
            arr = np.asarray(value, dtype=float).ravel()
            n = max(1, round(float(np.log2(len(arr)))))
            probs.append({format(i, f"0{n}b"): float(p) for i, p in enumerate(arr) if p > 0})
        elif kind == "expval":
            expvals.append(float(value))
        else:
            variances.append(float(value))
    out: dict[str, Any] = {"counts": counts, "measurements": described, "metadata": {}}
    if not counts and probs:
        out["counts"] = [{k: round(p * shots) for k, p in d.items() if round(p * shots)}
                         for d in probs]
        out["metadata"]["counts_source"] = "qml.probs x shots"
    if probs:
        out["probs"] = probs
    if expvals:
        out["expvals"] = expvals
    if variances:
        out["vars"] = variances
    return out
