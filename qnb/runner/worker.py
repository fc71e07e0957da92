"""What the runner's worker processes execute. Importable (never ``__main__``), and imported
ahead by the fork server so that a fresh worker starts warm."""

from __future__ import annotations

import contextlib
from typing import Any

import qiskit  # noqa: F401  - preloaded so that workers start warm
import qiskit_aer  # noqa: F401

from .. import progress
from ..backends import simulator
from ..backends.registry import make_provider
from .results import Written, write_from_worker


def run_job(spec: dict[str, Any]) -> dict[str, Any] | Written:
    """Run one local job from its spec (profile, payload, shots, seed, options). When the
    spec names the job (``job_id``, ``home``), write its progress and then its result to the
    store (``Written``); otherwise, or if that write cannot be made, return the result."""
    provider = make_provider(spec["profile"])
    job_id = spec.get("job_id")
    following = (progress.reporting(spec["home"], job_id) if job_id
                 else contextlib.nullcontext())
    with following:
        result = provider.run(spec["format"], spec["payload"], spec["shots"], spec["seed"],
                              spec.get("options", {}))
    return write_from_worker(spec["home"], job_id, result) if job_id else result


def warm() -> None:
    """Make the first real job find imports, simulator and caches ready."""
    simulator.warm()
