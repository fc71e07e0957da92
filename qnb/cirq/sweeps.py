"""Cirq programs with parameter sweeps as the Sampler PUBs of one qnb job, and the job's
``PrimitiveResult`` back as ``cirq.ResultDict``s.

Each point of a sweep is resolved by Cirq (``cirq.resolve_parameters``) and converted through
Cirq's OpenQASM output (``convert.from_cirq``). Points whose circuits have the same
instructions then share one PUB: the angles that differ between them become Qiskit
``Parameter``s, and each point's angles a row of the PUB's parameter values. A point whose
circuit differs in shape (Cirq writes ``x`` for ``X**1`` but ``rx`` otherwise) gets a PUB
of its own, in the same job.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any

from ..circuits import structure
from ..models import SubmitError
from .convert import from_cirq


@dataclass
class Plan:
    """The PUBs of a job, and where each point's samples are: ``places[i][j]`` is
    ``(pub index, index into that PUB's points)`` for point ``j`` of program ``i``, or None
    for a program that measures nothing (Cirq gives it empty measurements; nothing runs)."""

    pubs: list[Any]
    places: list[list[tuple[int, int] | None]]
    resolvers: list[list[Any]]


def plan(programs: list[Any], sweeps: list[Any], repetitions: list[int]) -> Plan:
    """Sampler PUBs for ``programs``, each run at every point of its sweep (anything
    ``cirq.to_resolvers`` takes) with its number of repetitions."""
    import cirq

    pubs: list[Any] = []
    places: list[list[tuple[int, int] | None]] = []
    resolvers: list[list[Any]] = []
    for i, (program, sweep, shots) in enumerate(zip(programs, sweeps, repetitions,
                                                    strict=True)):
        if isinstance(shots, bool) or not isinstance(shots, int) or shots <= 0:
            raise SubmitError(f"repetitions must be a positive integer, got {shots!r}")
        points = list(cirq.to_resolvers(sweep))
        circuits = []
        for resolver in points:
            resolved = cirq.resolve_parameters(program, resolver)
            if cirq.is_parameterized(resolved):
                missing = ", ".join(sorted(str(s) for s in cirq.parameter_names(resolved)))
                raise SubmitError(f"program {i}: the sweep gives no value for {missing} "
                                  f"(at point {resolver.param_dict})")
            circuits.append(from_cirq(resolved))
        resolvers.append(points)
        if not cirq.is_measurement(program):
            places.append([None] * len(points))
            continue
        groups: dict[tuple, list[int]] = {}
        for j, qc in enumerate(circuits):
            groups.setdefault(structure(qc, params=False), []).append(j)
        where: list[tuple[int, int] | None] = [None] * len(points)
        for members in groups.values():
            for pub, rows in _pubs_of([circuits[j] for j in members], shots):
                for row, member in enumerate(rows):
                    where[members[member]] = (len(pubs), row)
                pubs.append(pub)
        places.append(where)
    return Plan(pubs, places, resolvers)


def _pubs_of(circuits: list[Any], shots: int) -> list[tuple[Any, list[int]]]:
    """One PUB for circuits of the same instructions whose differing parameters are all
    numbers; else one PUB per circuit. Each PUB with the positions of its circuits."""
    from qiskit.circuit import Parameter
    from qiskit.primitives.containers.bindings_array import BindingsArray
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    first = circuits[0]
    varying: list[tuple[int, int]] = []
    for k, inst in enumerate(first.data):
        for p, value in enumerate(inst.operation.params):
            column = [qc.data[k].operation.params[p] for qc in circuits]
            if all(_same(v, value) for v in column):
                continue
            if not all(isinstance(v, Real) for v in column):
                return [(SamplerPub.coerce((qc, None, shots)), [n])
                        for n, qc in enumerate(circuits)]
            varying.append((k, p))
    if len(circuits) == 1:
        return [(SamplerPub.coerce((first, None, shots)), [0])]
    if not varying:  # the same circuit at every point: one parameter-free PUB per point
        return [(SamplerPub.coerce((first, BindingsArray(shape=(len(circuits),)), shots)),
                 list(range(len(circuits))))]
    template = first.copy_empty_like()
    symbols = [Parameter(f"_p{n}") for n in range(len(varying))]
    at = {pos: sym for pos, sym in zip(varying, symbols, strict=True)}
    for k, inst in enumerate(first.data):
        op = inst.operation
        if any(pos[0] == k for pos in at):
            op = op.to_mutable()
            op.params = [at.get((k, p), v) for p, v in enumerate(op.params)]
        template.append(op, inst.qubits, inst.clbits)
    values = [[float(qc.data[k].operation.params[p]) for k, p in varying] for qc in circuits]
    pub = SamplerPub.coerce((template, BindingsArray.coerce({tuple(symbols): values}), shots))
    return [(pub, list(range(len(circuits))))]


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays (a unitary's matrix): equal when every entry is
        import numpy as np

        return bool(np.array_equal(a, b))


def results(result: Any, made: Plan) -> list[list[Any]]:
    """``cirq.ResultDict``s per program and point, from the job's ``PrimitiveResult`` (None
    when no PUB ran): each key's bits in the order of the measured qubits, one row per
    repetition; no measurements for a program that measures nothing."""
    import cirq
    import numpy as np

    arrays: dict[int, dict[str, Any]] = {}
    out = []
    for where, points in zip(made.places, made.resolvers, strict=True):
        found = []
        for place, resolver in zip(where, points, strict=True):
            if place is None:
                found.append(cirq.ResultDict(params=resolver, measurements={}))
                continue
            pub, row = place
            if pub not in arrays:
                data = result[pub].data
                arrays[pub] = {key: np.asarray(data[key].to_bool_array(order="little"),
                                               dtype=np.int8).reshape(-1, data[key].num_shots,
                                                                      data[key].num_bits)
                               for key in data}
            found.append(cirq.ResultDict(
                params=resolver,
                measurements={key: bits[row] for key, bits in arrays[pub].items()}))
        out.append(found)
    return out
