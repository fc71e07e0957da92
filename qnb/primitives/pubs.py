"""Qiskit primitive PUBs as job payloads, and ``PrimitiveResult``s as job results.

A Sampler PUB is ``(circuit[, parameter_values[, shots]])``, an Estimator PUB
``(circuit, observables[, parameter_values[, precision]])``. The kernel coerces and
validates them with Qiskit's own ``SamplerPub`` / ``EstimatorPub`` (its messages, never
a transpile); the payload and the result are stored with qiskit-ibm-runtime's
``RuntimeEncoder`` / ``RuntimeDecoder``, so they read back as the same Qiskit objects.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from ..models import SubmitError

SAMPLER = "sampler"
ESTIMATOR = "estimator"
KINDS = (SAMPLER, ESTIMATOR)
PAYLOAD_FORMATS = {SAMPLER: "sampler-pubs", ESTIMATOR: "estimator-pubs"}
KIND_OF_FORMAT = {fmt: kind for kind, fmt in PAYLOAD_FORMATS.items()}


def pub_object_kind(value: Any) -> str | None:
    """``"sampler"`` for a Qiskit ``SamplerPub``, ``"estimator"`` for an ``EstimatorPub``,
    None for anything else (told by the class, without importing Qiskit's containers)."""
    module = type(value).__module__ or ""
    if not module.startswith("qiskit.primitives"):
        return None
    return {"SamplerPub": SAMPLER, "EstimatorPub": ESTIMATOR}.get(type(value).__name__)


def looks_like_pub(value: Any) -> bool:
    """A tuple whose first item is a QuantumCircuit, or a Qiskit ``SamplerPub`` /
    ``EstimatorPub``."""
    if pub_object_kind(value) is not None:
        return True
    if not isinstance(value, tuple) or not value:
        return False
    from ..circuits import is_quantum_circuit

    return is_quantum_circuit(value[0])


def guess_kind(pub: Any) -> str:
    """A PUB object's own kind; for a tuple, Estimator when the second item reads as
    observables, Sampler otherwise."""
    kind = pub_object_kind(pub)
    if kind is not None:
        return kind
    if len(pub) < 2:
        return SAMPLER
    from qiskit.primitives.containers.observables_array import ObservablesArray

    try:
        ObservablesArray.coerce(pub[1])
    except Exception:  # not observables: parameter values (or wrong, which Sampler says)
        return SAMPLER
    return ESTIMATOR


NO_REGISTERS = ("One of your circuits has no output classical registers and so the result "
                "will be empty. Did you mean to add measurement instructions?")


def coerce(kind: str, pubs: list[Any], *, shots: int | None = None,
           precision: float | None = None) -> list[Any]:
    """Qiskit's own PUB objects, coerced and validated by Qiskit's ``SamplerPub`` /
    ``EstimatorPub`` as its primitives do. A refusal is a ``SubmitError`` that is also the
    type Qiskit raised (``ValueError``, ``TypeError``, ...), with Qiskit's message after the
    PUB it is about. A Sampler circuit without classical registers runs, with Qiskit's
    warning, and gives empty data."""
    if kind == SAMPLER:
        from qiskit.primitives.containers.sampler_pub import SamplerPub as Pub

        default = shots
    else:
        from qiskit.primitives.containers.estimator_pub import EstimatorPub as Pub

        default = precision
    out = []
    for i, pub in enumerate(pubs):
        try:
            coerced = Pub.coerce(pub, default)
            coerced.validate()
        except Exception as exc:  # every Qiskit refusal of a PUB-like is the user's input
            where = f"{kind} PUB {i}" if len(pubs) > 1 else f"{kind} PUB"
            raise refusal(exc, where) from None
        out.append(coerced)
    if kind == SAMPLER and any(not p.circuit.cregs for p in out):
        import warnings

        warnings.warn(NO_REGISTERS, UserWarning, stacklevel=2)
    return out


def refusal(exc: Exception, where: str | None = None) -> SubmitError:
    """``SubmitError`` carrying a refusal as Qiskit makes it: also an instance of the built-in
    type raised, so code catching Qiskit's ``TypeError`` or ``ValueError`` catches it."""
    return _refusal_type(type(exc))(f"{where}: {exc}" if where else str(exc))


@functools.cache
def _refusal_type(base: type[Exception]) -> type[SubmitError]:
    if issubclass(SubmitError, base) or base.__module__ != "builtins" or base is KeyError:
        return SubmitError  # a ValueError already; Qiskit's own classes need their own init
    return type(f"Submit{base.__name__}", (SubmitError, base),
                {"__module__": __name__,
                 "__doc__": f"A PUB refused by Qiskit with a {base.__name__}."})


def on_circuits(kind: str, pubs: list[Any], circuits: list[Any]) -> list[Any]:
    """The PUBs moved onto other circuits (their transpiled ones): the same values, shots
    and precision, and Estimator observables laid out on the qubits each circuit chose."""
    if kind == SAMPLER:
        from qiskit.primitives.containers.sampler_pub import SamplerPub

        return [SamplerPub.coerce((qc, p.parameter_values, p.shots))
                for qc, p in zip(circuits, pubs, strict=True)]
    from qiskit.primitives.containers.estimator_pub import EstimatorPub

    return [EstimatorPub.coerce((qc, p.observables.apply_layout(qc.layout), p.parameter_values,
                                 p.precision)) for qc, p in zip(circuits, pubs, strict=True)]


def encode(pubs: list[Any]) -> bytes:
    from qiskit_ibm_runtime import RuntimeEncoder

    return json.dumps(pubs, cls=RuntimeEncoder).encode()


def decode(kind: str, data: bytes) -> list[Any]:
    """The PUBs of a payload, as Qiskit's ``SamplerPub`` / ``EstimatorPub``."""
    if kind == SAMPLER:
        from qiskit.primitives.containers.sampler_pub import SamplerPub as Pub
    else:
        from qiskit.primitives.containers.estimator_pub import EstimatorPub as Pub
    return [Pub.coerce(tuple(p)) for p in json.loads(data, cls=_decoder())]


CIRCUIT_CACHE_SIZE = 64  # decoded circuits a worker keeps, by their QPY text


@functools.cache
def _decoder() -> type[json.JSONDecoder]:
    from collections import OrderedDict

    from qiskit_ibm_runtime import RuntimeDecoder

    circuits: OrderedDict[str, Any] = OrderedDict()

    class Decoder(RuntimeDecoder):
        """RuntimeDecoder that loads a circuit's QPY once per worker: an optimiser's loop
        sends the same ansatz with new parameter values every step. The circuits are
        shared, so nothing that runs PUBs may change them (transpiling makes new ones)."""

        def object_hook(self, obj: Any) -> Any:
            if obj.get("__type__") != "QuantumCircuit":
                return super().object_hook(obj)
            key = obj["__value__"]
            qc = circuits.get(key)
            if qc is None:
                qc = circuits[key] = super().object_hook(obj)
                while len(circuits) > CIRCUIT_CACHE_SIZE:
                    circuits.popitem(last=False)
            circuits.move_to_end(key)
            return qc

    return Decoder


def summarize(kind: str, pubs: list[Any]) -> dict[str, Any]:
    """What listings show: the circuits' summary plus each PUB's shape."""
    from ..circuits import summarize as summarize_circuits

    out = summarize_circuits([p.circuit for p in pubs])
    out["primitive"] = kind
    out["pubs"] = [{"shape": list(p.shape), "num_parameters": p.circuit.num_parameters}
                   for p in pubs]
    return out


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON numbers and lists (complex as their real part)."""
    import numpy as np

    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        arr = arr.real
    return arr.tolist()


def result_json(kind: str, result: Any) -> dict[str, Any]:
    """A job's stored result: the ``PrimitiveResult`` (RuntimeEncoder JSON) and a plain
    summary per PUB for REST and the sidebar: shape, and ``evs``/``stds`` (Estimator) or
    ``counts`` per parameter point (Sampler). Sampler jobs also keep ``counts``: each PUB's
    counts over all its points, all registers joined, as ``job.counts(i)`` returns."""

    pubs = []
    counts = []
    for pub in result:
        data = pub.data
        if kind == ESTIMATOR:
            pubs.append({"shape": list(data.evs.shape), "evs": _plain(data.evs),
                         "stds": _plain(data.stds)})
            continue
        if not len(data):  # a circuit without classical registers: empty data, as Qiskit's
            shape = list(getattr(data, "shape", ()))
            pubs.append({"shape": shape, "registers": [],
                         "counts": [{} for _ in range(math.prod(shape))]})
            counts.append({})
            continue
        joined = pub.join_data()
        pubs.append({"shape": list(joined.shape), "registers": list(data),
                     "counts": counts_per_point(joined)})
        counts.append(counts_per_point(joined, merged=True)[0])
    out: dict[str, Any] = {"primitive": kind, "pubs": pubs,
                           "primitive_result": json.dumps(result, cls=_encoder())}
    if kind == SAMPLER:
        out["counts"] = counts
    return out


def counts_per_point(bits: Any, *, merged: bool = False) -> list[dict[str, int]]:
    """``BitArray.get_counts`` for every parameter point (C order), or for all points
    together, vectorised: ``get_counts`` formats every shot in Python, 200 points of 1,000
    shots took 1.3 s, this takes milliseconds."""
    import numpy as np

    raw = np.asarray(bits.array)  # (*shape, shots, bytes), the first byte most significant
    rows = raw.reshape(1 if merged else -1, bits.num_shots * (bits.size if merged else 1),
                       raw.shape[-1])
    if raw.shape[-1] <= 8:
        weights = (256 ** np.arange(raw.shape[-1] - 1, -1, -1, dtype=np.uint64)).astype(np.uint64)
        values = rows.astype(np.uint64) @ weights
        keys = [np.unique(row, return_counts=True) for row in values]
        return [{format(int(k), f"0{bits.num_bits}b"): int(n) for k, n in zip(*kv, strict=True)}
                for kv in keys]
    if merged:  # wider than 64 bits: Qiskit's own, slower, way
        return [{str(k): int(v) for k, v in bits.get_counts().items()}]
    locations = [None] if bits.shape == () else list(np.ndindex(*bits.shape))
    return [{str(k): int(v) for k, v in bits.get_counts(loc).items()} for loc in locations]


def decode_result(data: dict[str, Any]) -> Any:
    """The ``PrimitiveResult`` kept by ``result_json``."""
    from qiskit_ibm_runtime import RuntimeDecoder

    return json.loads(data["primitive_result"], cls=RuntimeDecoder)


@functools.cache
def _encoder() -> type[json.JSONEncoder]:
    import numpy as np
    from qiskit_ibm_runtime import RuntimeEncoder

    class Encoder(RuntimeEncoder):
        """RuntimeEncoder, plus the numpy scalars it does not know (float32, int32, bool_) that
        simulators put in metadata."""

        def default(self, obj: Any) -> Any:
            if isinstance(obj, np.generic) and not isinstance(obj, (np.int64, np.float64)):
                return obj.item()
            return super().default(obj)

    return Encoder
