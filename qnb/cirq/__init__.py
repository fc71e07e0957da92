"""Cirq circuits on qnb: a ``cirq.Circuit`` is taken wherever a ``QuantumCircuit`` is
(``convert``: through Cirq's own OpenQASM output, measurement keys kept as classical
registers), ``qnb.cirq.Sampler`` is a ``cirq.Sampler`` whose ``run_sweep`` is one job
(``sampler``, ``sweeps``), and ``qnb.cirq.result(job)`` reads a job back as a
``cirq.ResultDict`` (``results``). Cirq itself is imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sampler import Sampler

__all__ = ["Sampler", "result"]


def result(job: Any, index: int = 0) -> Any:
    """Circuit (or Sampler PUB) ``index`` of a finished job as a ``cirq.ResultDict``: one
    array per measurement key (classical register), a row per shot (waits for the job)."""
    from .results import job_result

    return job_result(job, index)


def __getattr__(name: str) -> Any:
    if name == "Sampler":
        from .sampler import Sampler

        return Sampler
    raise AttributeError(f"module 'qnb.cirq' has no attribute {name!r}")
