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


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one local job from its spec (profile, payload, shots, seed, options), writing its
    progress to the store of ``home`` when the spec names the job."""
    provider = make_provider(spec["profile"])
    following = (progress.reporting(spec["home"], spec["job_id"]) if spec.get("job_id")
                 else contextlib.nullcontext())
    with following:
        return provider.run(spec["format"], spec["payload"], spec["shots"], spec["seed"],
                            spec.get("options", {}))


def warm() -> None:
    """Make the first real job find imports, simulator and caches ready."""
    simulator.warm()
