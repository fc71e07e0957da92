"""``python -m qnb.runner``: the runner process (``qnb runner`` runs the same in the foreground)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qnb runner", description=__doc__)
    parser.add_argument("--home", type=Path, help="QNB_HOME to serve (default: $QNB_HOME)")
    parser.add_argument("--workers", type=int, help="worker processes (default: CPU count)")
    parser.add_argument("--idle-timeout", type=float, help="exit after this many idle seconds")
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    parser.add_argument("--serve", action="store_true",
                        help="run as a long-lived service: never exit when idle")
    args = parser.parse_args(argv)
    if args.home:
        os.environ["QNB_HOME"] = str(args.home)
    from ..config import qnb_home
    from .control import acquire_lock

    home = qnb_home()
    # Aer's OpenMP threads wait for work by spinning, by default: after every job the worker
    # burns the CPU the kernel and this runner need next (a small job's CPU doubles). Waiting
    # passively costs nothing measurable here; set OMP_WAIT_POLICY to choose otherwise.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # Take the lock before the slow imports, so that submits made while this process starts
    # see a runner and do not start more.
    lock_fd = acquire_lock(home)
    if lock_fd is None:
        return 0
    from .local import start_fork_server

    start_fork_server()
    from ..config import load_config
    from .leases import DEFAULT_LEASE_SECONDS
    from .service import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_CRASHES, Runner
    from .upkeep import HEALTH_CHECK_SECONDS

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # qnb's own events at INFO; SDKs only warnings (qiskit logs every transpiler pass at INFO)
    logging.getLogger("qnb").setLevel(logging.INFO)
    try:
        runner_cfg = load_config(home).runner
    except Exception as exc:  # a broken project file must not stop jobs from other ones
        logging.getLogger("qnb.runner").warning("configuration ignored: %s", exc)
        runner_cfg = {}
    idle = args.idle_timeout if args.idle_timeout is not None else float(
        os.environ.get("QNB_RUNNER_IDLE_TIMEOUT") or runner_cfg.get("idle_timeout")
        or DEFAULT_IDLE_TIMEOUT)
    if args.metrics_port:
        from ..metrics import serve_metrics

        serve_metrics(home, args.metrics_port)
    runner = Runner(home, workers=args.workers or runner_cfg.get("workers"), idle_timeout=idle,
                    max_attempts=int(runner_cfg.get("max_attempts", DEFAULT_MAX_ATTEMPTS)),
                    max_crashes=int(runner_cfg.get("max_crashes", DEFAULT_MAX_CRASHES)),
                    backups=int(runner_cfg.get("backups", 7)),
                    keep_days=runner_cfg.get("keep_days"),
                    check_every=float(runner_cfg.get("check_every", HEALTH_CHECK_SECONDS)),
                    lease_seconds=float(os.environ.get("QNB_RUNNER_LEASE")
                                        or runner_cfg.get("lease_seconds")
                                        or DEFAULT_LEASE_SECONDS),
                    service=args.serve, lock_fd=lock_fd)
    return runner.serve()


if __name__ == "__main__":
    sys.exit(main())
