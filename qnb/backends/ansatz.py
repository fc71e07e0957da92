"""Circuits that differ only in gate angles: an optimiser binds new values into one ansatz at
every step, so every job brings a circuit never seen before, of a structure seen at every
step. ``angles`` takes a circuit apart into that structure (a key, and a template circuit
with a parameter in place of each angle) and its values; ``bind`` puts the values into the
template once it is transpiled. The transpiler then runs once per ansatz, not once per step.

Only Qiskit's standard gates give up their angles (their parameters are angles, the same
gate for every value); any other instruction (a ``unitary``, ``initialize``, a custom gate,
control flow) stays in the key with its values, so two circuits share a template only when
they differ in nothing but standard gates' angles.
"""

from __future__ import annotations

from typing import Any

from ..circuits import ObjectMemo

TEMPLATE_PARAMETER = "_qnb_angle"  # the template's parameters (a ParameterVector)


def _is_angle(value: Any) -> bool:
    return isinstance(value, (float, int)) and not isinstance(value, bool)


def _has_angles(inst: Any) -> bool:
    """The instruction is one of Qiskit's standard gates with numeric parameters (read from
    the instruction itself: building its operation object costs three times as much)."""
    params = inst.params
    return bool(params) and inst.is_standard_gate() and all(map(_is_angle, params))


class Angles:
    """A circuit taken apart: ``key`` (its structure without standard gates' angles),
    ``values`` (those angles, in circuit order) and its global phase; ``exact`` tells the
    circuit itself apart (the key with the values). It keeps no reference to the circuit
    (it is kept per circuit object, as long as that lives)."""

    __slots__ = ("key", "phase", "values")

    def __init__(self, key: tuple, values: list[float], phase: Any) -> None:
        self.key = key
        self.values = values
        self.phase = phase

    @property
    def exact(self) -> tuple:
        return (self.key, tuple(map(repr, self.values)), str(self.phase))

    def template(self, qc: Any) -> Any:
        """``qc`` (the circuit taken apart) with a parameter (``TEMPLATE_PARAMETER[i]``) for
        angle ``i`` and no global phase (each bound circuit gets its own back)."""
        from qiskit.circuit import CircuitInstruction, ParameterVector

        vector = ParameterVector(TEMPLATE_PARAMETER, len(self.values))
        out = qc.copy_empty_like()
        out.global_phase = 0.0
        i = 0
        for inst in qc.data:
            op = inst.operation
            if _has_angles(inst):
                op = op.copy()
                op.params = list(vector[i:i + len(op.params)])
                i += len(op.params)
            out._append(CircuitInstruction(op, inst.qubits, inst.clbits))
        return out

    def bind(self, template: Template) -> Any:
        """The transpiled template with this circuit's angles (and global phase) bound: the
        circuit the transpiler would have made of it."""
        values = self.values
        bound = template.compiled.assign_parameters([values[i] for i in template.order])
        if self.phase:
            bound.global_phase = bound.global_phase + self.phase
        return bound


class Template:
    """A transpiled template, and which angle each of its parameters takes, in the order of
    ``compiled.parameters`` (binding a list in that order is twice as fast as a mapping)."""

    __slots__ = ("compiled", "order")

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled
        # an angle the transpiler found no use for is simply not among them
        self.order = [p.index for p in compiled.parameters]


_ANGLES = ObjectMemo()


def angles(qc: Any) -> Angles | None:
    """``qc`` taken apart (kept per circuit object, which must not change afterwards), or
    None when it has no standard gate with numeric angles (nothing to share)."""
    found = _ANGLES.get(qc)
    if found is None:
        found = _take_apart(qc) or False
        _ANGLES.put(qc, found)
    return found or None


def _take_apart(qc: Any) -> Angles | None:
    # written for speed (it runs at every step of an optimiser's loop): bound methods and
    # map() instead of generator expressions, a quarter less time
    qubit = {bit: i for i, bit in enumerate(qc.qubits)}.__getitem__
    clbit = {bit: i for i, bit in enumerate(qc.clbits)}.__getitem__
    values: list[float] = []
    ops: list[tuple] = []
    add = ops.append
    for inst in qc.data:
        qubits = tuple(map(qubit, inst.qubits))
        clbits = tuple(map(clbit, inst.clbits)) if inst.clbits else ()
        params = inst.params
        if _has_angles(inst):
            values += map(float, params)
            add((inst.name, qubits, clbits, len(params)))
        else:
            add((inst.name, qubits, clbits,
                 tuple(repr(p) if isinstance(p, float) else str(p) for p in params)))
    if not values:
        return None
    key = ("angles", qc.num_qubits, qc.num_clbits,
           tuple((r.name, r.size) for r in qc.qregs), tuple((r.name, r.size) for r in qc.cregs),
           tuple(ops))
    return Angles(key, values, qc.global_phase)
