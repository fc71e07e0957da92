"""``qnb.Sampler`` and ``qnb.Estimator``: drop-in Qiskit V2 primitives whose every ``run``
is a qnb job, queued at once and run by the runner on the named backend."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2

from .job import PrimitiveJob


class _QnbPrimitive:
    """What both primitives share: a backend name, options recorded with each job, and the
    job's name and tags."""

    def __init__(self, backend: str | None = None, *, options: dict[str, Any] | None = None,
                 name: str | None = None, tags: Iterable[str] | None = None) -> None:
        from ..models import check_tags

        self.backend = backend
        self.options: dict[str, Any] = dict(options or {})
        self.name = name
        # tags given beside the options or among them (``options={"tags": [...]}``) label
        # every job this primitive runs; they are not options of the backend's primitive
        self.tags = check_tags([*check_tags(tags),
                                *check_tags(self.options.pop("tags", None))])

    def _submit(self, kind: str, pubs: Iterable[Any], **kwargs: Any) -> PrimitiveJob:
        from ..api import submit

        options = dict(self.options)
        seed = options.pop("seed", None)
        from ..models import check_tags

        # tags put in ``.options`` after the primitive was made count too
        tags = [*self.tags, *check_tags(options.pop("tags", None))]
        return submit(list(pubs), backend=self.backend, name=self.name, seed=seed,
                      primitive=kind, options=options or None, tags=tags, **kwargs)

    def __repr__(self) -> str:
        return f"<qnb.{type(self).__name__} on {self.backend or 'the default backend'}>"


class Sampler(_QnbPrimitive, BaseSamplerV2):
    """``BaseSamplerV2`` on a qnb backend: ``run(pubs, shots=None)`` returns a ``Job`` at once
    (``job.result()`` is Qiskit's ``PrimitiveResult``). ``options`` go to the backend's
    primitive (``seed``, ``default_shots``; on IBM the ``SamplerOptions``)."""

    def run(self, pubs: Iterable[Any], *, shots: int | None = None) -> PrimitiveJob:
        return self._submit("sampler", pubs, shots=shots)


class Estimator(_QnbPrimitive, BaseEstimatorV2):
    """``BaseEstimatorV2`` on a qnb backend: ``run(pubs, precision=None)`` returns a ``Job``
    at once (``job.result()`` is Qiskit's ``PrimitiveResult`` with ``evs`` and ``stds``).
    ``options`` go to the backend's primitive (``seed``, ``default_precision``; on IBM the
    ``EstimatorOptions``: resilience_level, twirling, dynamical_decoupling, ...)."""

    def run(self, pubs: Iterable[Any], *, precision: float | None = None) -> PrimitiveJob:
        return self._submit("estimator", pubs, precision=precision)
