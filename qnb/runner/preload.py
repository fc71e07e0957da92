"""Imported once by the runner's fork server, before it forks any worker: Qiskit, Aer and
every transpiler plugin are imported and the default simulator's target is built there, so
that every worker (the first ones, and each one replacing a worker stopped by a cancel)
starts with them.

Qiskit's plugin manager imports every transpiler plugin installed, qiskit-ibm-runtime
included, when the first preset pass manager is built: about a second, paid once here
instead of once per worker. No simulation, transpile or pass manager happens here: workers
forked after building a pass manager hung at their first transpile.
"""

from __future__ import annotations

import logging

from . import worker  # noqa: F401  - Qiskit and Aer

try:
    from ..backends.simulator import prepare

    prepare()
except Exception:  # a worker then builds what it needs itself; the fork server must live
    logging.getLogger("qnb.runner").warning("preloading the worker's caches failed",
                                            exc_info=True)
