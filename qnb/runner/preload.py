"""Imported once by the runner's fork server, before it forks any worker: Qiskit, Aer and the
transpiler's own stage plugins are imported and the default simulator's target is built
there, so that every worker (the first ones, and each one replacing a worker stopped by a
cancel) starts with them.

Other installed stage plugins (qiskit-ibm-runtime's: a second and more to import) load only
in a worker whose pass manager asks for one (``backends.stage_plugins``). No simulation,
transpile or pass manager happens here: workers forked after building a pass manager hung at
their first transpile."""

from __future__ import annotations

import logging

from . import worker  # noqa: F401  - Qiskit and Aer

try:
    from ..backends.simulator import prepare

    prepare()
except Exception:  # a worker then builds what it needs itself; the fork server must live
    logging.getLogger("qnb.runner").warning("preloading the worker's caches failed",
                                            exc_info=True)
