"""``qnb.cirq.Sampler``: a ``cirq.Sampler`` whose every ``run_sweep`` (and ``run_batch``)
is one qnb job of Sampler PUBs on a qnb backend, returning ``cirq.ResultDict``s."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import cirq

from . import sweeps


class Sampler(cirq.Sampler):
    """Run Cirq circuits on a qnb backend (default: the current default backend).

    ``run``, ``run_sweep``, ``sample`` and ``run_batch`` each submit ONE job: every point of
    the sweeps is a parameter point of the job's Sampler PUBs (see ``qnb.cirq.sweeps``), so
    the job shows in ``%qjobs`` and the sidebar, and outlives the kernel. ``last_job`` is the
    newest job's handle. ``seed`` makes a simulator's samples repeatable; ``options`` go to
    the backend's Sampler, as for ``qnb.Sampler``."""

    def __init__(self, backend: str | None = None, *, seed: int | None = None,
                 name: str | None = None, tags: Iterable[str] | None = None,
                 options: dict[str, Any] | None = None) -> None:
        from ..primitives.sampler_estimator import Sampler as QiskitSampler

        opts = dict(options or {})
        if seed is not None:
            opts["seed"] = seed
        self._primitive = QiskitSampler(backend, options=opts, name=name, tags=tags)
        self.backend = backend
        self.last_job: Any = None

    def run_sweep(self, program: cirq.AbstractCircuit, params: cirq.Sweepable,
                  repetitions: int = 1) -> Sequence[cirq.Result]:
        return self._run([program], [params], [repetitions])[0]

    def run_batch(self, programs: Sequence[cirq.AbstractCircuit],
                  params_list: Sequence[cirq.Sweepable] | None = None,
                  repetitions: int | Sequence[int] = 1) -> Sequence[Sequence[cirq.Result]]:
        """All programs and their sweeps in one job."""
        params_list, repetitions = self._normalize_batch_args(programs, params_list,
                                                              repetitions)
        return self._run(list(programs), list(params_list), list(repetitions))

    def _run(self, programs: list[Any], sweepables: list[Any],
             repetitions: list[int]) -> list[list[cirq.Result]]:
        made = sweeps.plan(programs, sweepables, repetitions)
        if not made.pubs:  # empty sweeps, or nothing measured: nothing to run
            return sweeps.results(None, made)
        self.last_job = job = self._primitive.run(made.pubs)
        return sweeps.results(job.result(), made)

    def __repr__(self) -> str:
        return f"<qnb.cirq.Sampler on {self.backend or 'the default backend'}>"
