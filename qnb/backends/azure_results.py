"""The circuits a qnb job sends to Azure Quantum, and its result from the Azure jobs' outputs.

Azure takes one circuit per job: plain circuits go one job each; a ``qnb.Sampler`` job's PUBs
are bound at each parameter point first, one job per point. The result puts the counts back
together: per circuit, or per PUB as a ``PrimitiveResult`` (a ``BitArray`` per classical
register, shaped like the PUB), as the other backends store them. Each Azure job's
``costEstimate`` is kept, and their USD total is the job's estimated cost in the ledger.
"""

from __future__ import annotations

from typing import Any

from . import azure_formats as formats
from .azure_status import AzureServiceError, cost_of, normalize_status, wrap


def circuits_of(payload_format: str, payload: bytes,
                shots: int) -> tuple[list[Any], list[int], list[dict[str, Any]] | None]:
    """``(circuits, shots of each, plan)``: the plan (Sampler PUBs only) records each PUB's
    shape and shots, so that ``assemble`` can rebuild the PUB results."""
    if payload_format == "qpy":
        from ..circuits import decode

        circuits = decode(payload)
        return circuits, [int(shots)] * len(circuits), None
    from ..primitives import pubs

    circuits, shots_each, plan = [], [], []
    for pub in pubs.decode(pubs.SAMPLER, payload):
        bound = pub.parameter_values.bind_all(pub.circuit)
        points = list(bound.flat) if hasattr(bound, "flat") else [bound]
        n = int(pub.shots or shots)
        plan.append({"shape": list(pub.shape), "shots": n, "points": len(points),
                     "registers": [[r.name, r.size] for r in pub.circuit.cregs]})
        circuits += points
        shots_each += [n] * len(points)
    return circuits, shots_each, plan


def assemble(fmt: formats.Format, state: dict[str, Any], jobs: list[Any],
             outputs: list[bytes], sample: bool) -> dict[str, Any]:
    """The qnb result of a finished job from its Azure jobs and their raw outputs."""
    readouts = [formats.Readout.from_json(r) for r in state.get("readouts", [])]
    shots = list(state.get("shots") or [])
    if not (len(readouts) == len(jobs) == len(outputs) == len(shots)):
        raise ValueError(f"qnb kept {len(readouts)} readouts for {len(jobs)} Azure jobs")
    seed = state.get("seed")
    parsed = [formats.parse_output(fmt.family, data, readout, n,
                                   None if seed is None else int(seed) + i, sample)
              for i, (data, readout, n) in enumerate(zip(outputs, readouts, shots,
                                                         strict=True))]
    metadata: dict[str, Any] = {}
    costs = [cost_of(job.details) for job in jobs]
    if any(c is not None for c in costs):
        metadata["cost_estimate"] = costs
        usd = [c["total"] for c in costs if c and c.get("currency") == "USD"
               and isinstance(c.get("total"), (int, float))]
        if usd:
            metadata["estimated_cost_usd"] = round(sum(usd), 6)
    plan = state.get("plan")
    if plan is None:
        out: dict[str, Any] = {"counts": [p["counts"] for p in parsed], "metadata": metadata}
        probabilities = [p.get("probabilities") for p in parsed]
        if any(probabilities):  # IonQ's histogram, as the service gave it
            out["probabilities"] = probabilities
        return out
    from ..primitives import pubs

    out = pubs.result_json(pubs.SAMPLER, _primitive_result(plan, parsed))
    out["metadata"] = metadata
    return out


def _primitive_result(plan: list[dict[str, Any]], parsed: list[dict[str, Any]]) -> Any:
    """A Sampler's ``PrimitiveResult`` from the counts of each PUB's parameter points."""
    import numpy as np
    from qiskit.primitives import PrimitiveResult, SamplerPubResult
    from qiskit.primitives.containers import BitArray, DataBin

    results, at = [], 0
    for pub in plan:
        points = parsed[at:at + pub["points"]]
        at += pub["points"]
        shape = tuple(pub["shape"])
        registers = [(str(n), int(s)) for n, s in pub["registers"]]
        data: dict[str, Any] = {}
        for r, (name, size) in enumerate(registers):
            arrays = []
            for point in points:
                samples = _samples_of(point, len(registers) - 1 - r)
                arrays.append(BitArray.from_samples(samples, size).array)
            stacked = np.stack(arrays).reshape(*shape, pub["shots"], -1)
            data[name] = BitArray(stacked, size)
        results.append(SamplerPubResult(DataBin(**data, shape=shape),
                                        metadata={"shots": pub["shots"]}))
    return PrimitiveResult(results, metadata={"version": 2})


def _samples_of(point: dict[str, Any], part: int) -> list[str]:
    """One register's bits (the ``part``-th space-separated field of a counts key) in every
    shot: the shots as measured where the service gives them, else as counted."""
    memory = point.get("memory")
    if memory is None:
        memory = [key for key, n in sorted(point["counts"].items()) for _ in range(n)]
    return [shot.split(" ")[part] for shot in memory]


def read_output(job: Any) -> bytes:
    """The raw output of a job that Succeeded; an error (not retried) when it has none."""
    uri = job.details.output_data_uri
    if not uri:
        raise AzureServiceError(
            f"Azure Quantum reports job {job.id} {_word(job)} but gives no output "
            "(its outputDataUri is empty)", transient=False)
    try:
        data = job.download_data(uri)
    except Exception as exc:
        err = wrap(exc)
        if err.transient:
            raise err from exc
        raise AzureServiceError(
            f"Azure Quantum reports job {job.id} {_word(job)} but its output "
            f"cannot be read: {err}", transient=False) from exc
    if not data:
        raise AzureServiceError(
            f"Azure Quantum reports job {job.id} {_word(job)} but its output is "
            "empty", transient=False)
    return bytes(data)


def _word(job: Any) -> str:
    """The job's status in Azure's word (``Completed``)."""
    return normalize_status(job.details.status)[1]
