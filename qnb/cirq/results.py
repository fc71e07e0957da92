"""A qnb job's samples in Cirq's terms: a ``cirq.ResultDict`` with one array per
measurement key (the job's classical registers), each row a shot and each column a measured
qubit, in the order the measurement named them."""

from __future__ import annotations

from typing import Any

from ..circuits import decode
from ..primitives.job import PrimitiveJob


def job_result(job: Any, index: int = 0) -> Any:
    """Circuit or Sampler PUB ``index`` of ``job`` as a ``cirq.ResultDict`` (waits). A
    circuit job keeps counts, not the order of its shots: rows come grouped by outcome."""
    import cirq
    import numpy as np

    if isinstance(job, PrimitiveJob):
        if job.record.primitive != "sampler":
            raise ValueError(f"job {job.id} ran an Estimator: it has no samples to read")
        data = job.result()[index].data
        if data.shape != ():
            raise ValueError(f"PUB {index} of job {job.id} has {data.size} parameter points; "
                             "qnb.cirq.Sampler().run_sweep returns one result per point")
        return cirq.ResultDict(params=cirq.ParamResolver({}), measurements={
            key: np.asarray(data[key].to_bool_array(order="little"), dtype=np.int8)
            for key in data})
    counts = job.counts(index)
    fmt, payload = job._store.payload(job.id)
    if fmt != "qpy":
        raise ValueError(f"job {job.id} ran {fmt} input, not circuits: it has no registers")
    registers = [(r.name, r.size) for r in decode(payload)[index].cregs]
    rows: dict[str, list[list[int]]] = {name: [] for name, _ in registers}
    for outcome, n in counts.items():
        parts = outcome.split() if " " in outcome else _split(outcome, registers)
        for (name, _), bits in zip(registers, reversed(parts), strict=True):
            rows[name].extend([[int(b) for b in reversed(bits)]] * n)
    return cirq.ResultDict(params=cirq.ParamResolver({}), measurements={
        name: np.asarray(rows[name], dtype=np.int8).reshape(-1, size)
        for name, size in registers})


def _split(outcome: str, registers: list[tuple[str, int]]) -> list[str]:
    """An outcome without spaces cut into registers (the first register rightmost)."""
    parts, end = [], len(outcome)
    for _, size in registers:
        parts.append(outcome[end - size:end])
        end -= size
    return parts[::-1]
