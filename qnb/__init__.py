"""qnb: run quantum jobs from Jupyter without blocking the kernel.

``%load_ext qnb`` registers the magics; ``qnb.submit``, ``qnb.get_job`` and ``qnb.jobs`` are
the Python API. Importing qnb is cheap: qiskit and ipywidgets are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import JobFailed, JobNotFound, JobStatus, QnbError, StoreError, SubmitError

if TYPE_CHECKING:
    from .job import Job, JobResult
    from .notebook.comparison import Comparison
    from .primitives.job import PrimitiveJob
    from .primitives.sampler_estimator import Estimator, Sampler
    from .primitives.sessions import Session

__version__ = "0.1.0"
__all__ = [
    "Comparison", "Estimator", "Job", "JobFailed", "JobNotFound", "JobResult", "JobStatus",
    "PrimitiveJob", "QnbError", "Sampler", "Session", "StoreError", "SubmitError", "compare",
    "get_job", "jobs", "jobs_frame", "session", "submit", "usage",
]


def submit(circuits: Any, backend: str | None = None, shots: int | None = None,
           name: str | None = None, seed: int | None = None, **kwargs: Any) -> Job:
    """Queue circuits on a backend and return the ``Job`` at once (see ``qnb.api.submit``)."""
    from .api import submit as _submit

    return _submit(circuits, backend=backend, shots=shots, name=name, seed=seed, **kwargs)


def get_job(job_id: str) -> Job:
    """The job with this id."""
    from .api import get_job as _get_job

    return _get_job(job_id)


def jobs(status: str | None = None, backend: str | None = None, limit: int = 50, *,
         session: Any = None, tag: Any = None, search: str | None = None,
         since: Any = None, owner: str | None = None, team: bool = False) -> list[Job]:
    """Your newest jobs (``owner``: a teammate's; ``team=True``: your groups'), optionally
    filtered by status, backend, session (an id or a ``Session``), tag (or a list, all
    required), ``search`` text (name, backend, tag, id start; any case) and creation time
    ``since`` (see ``qnb.api.jobs``)."""
    from .api import jobs as _jobs

    return _jobs(status=status, backend=backend, limit=limit, session=session, tag=tag,
                 search=search, since=since, owner=owner, team=team)


def jobs_frame(status: str | None = None, backend: str | None = None, *, session: Any = None,
               tag: Any = None, search: str | None = None, since: Any = None,
               counts: bool = False, owner: str | None = None, team: bool = False) -> Any:
    """Every matching job as a pandas DataFrame, oldest first, with the columns of
    ``qnb export`` (see ``qnb.api.jobs_frame``); yours, a teammate's (``owner``) or your
    groups' (``team=True``)."""
    from .api import jobs_frame as _jobs_frame

    return _jobs_frame(status=status, backend=backend, session=session, tag=tag,
                       search=search, since=since, counts=counts, owner=owner, team=team)


def usage(by: str = "backend", since: Any = None) -> list[dict[str, Any]]:
    """What finished jobs used, added up by backend, day, tag or status (see
    ``qnb.api.usage``); costs are estimates."""
    from .api import usage as _usage

    return _usage(by=by, since=since)


def session(backend: str | None = None, mode: str = "session",
            max_time: float | None = None) -> Session:
    """A session grouping the jobs submitted inside ``with qnb.session(...) as s:`` (on IBM
    Quantum, a Runtime Session, or a Batch with ``mode="batch"``)."""
    from .primitives.sessions import session as _session

    return _session(backend, mode, max_time)


def compare(*items: Any, labels: list[str] | None = None, index: int = 0) -> Comparison:
    """Overlay the counts of several jobs (or counts dicts) and measure each pair: total
    variation distance and Hellinger fidelity (see ``qnb.notebook.comparison.compare``)."""
    from .notebook.comparison import compare as _compare

    return _compare(*items, labels=labels, index=index)


def __getattr__(name: str) -> Any:
    """The classes, imported on first use so that ``import qnb`` stays light (each import is
    written out, so that the layout test sees it)."""
    if name in ("Job", "JobResult"):
        from . import job as module
    elif name == "PrimitiveJob":
        from .primitives import job as module
    elif name in ("Sampler", "Estimator"):
        from .primitives import sampler_estimator as module
    elif name == "Session":
        from .primitives import sessions as module
    elif name == "Comparison":
        from .notebook import comparison as module
    elif name == "cirq":  # the package itself: qnb.cirq.Sampler, qnb.cirq.result
        from . import cirq

        return cirq
    else:
        raise AttributeError(f"module 'qnb' has no attribute {name!r}")
    return getattr(module, name)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext qnb``."""
    from .notebook.magics import QnbMagics

    ipython.register_magics(QnbMagics)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "qnb.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "qnb-labextension"}]
