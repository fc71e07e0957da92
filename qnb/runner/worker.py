"""What the runner's worker processes execute. Importable (never ``__main__``), and imported
ahead by the fork server so that a fresh worker starts warm."""

from __future__ import annotations

from typing import Any

import qiskit  # noqa: F401  - preloaded so that workers start warm
import qiskit_aer  # noqa: F401

from ..backends import simulator
from ..backends.registry import make_provider


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one local job from its spec (profile, payload, shots, seed, options)."""
    provider = make_provider(spec["profile"])
    return provider.run(spec["format"], spec["payload"], spec["shots"], spec["seed"],
                        spec.get("options", {}))


def warm() -> None:
    """Make the first real job find imports, simulator and caches ready."""
    simulator.warm()
