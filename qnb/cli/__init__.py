"""The ``qnb`` command line: submit OpenQASM files (or Cirq circuits) and follow jobs from a
terminal. The commands about jobs are in ``jobs``, those about the installation (backends,
the runner, doctor, backups) in ``admin``."""

from __future__ import annotations

import argparse
import os
import sys

from ..models import QnbError
from . import admin, jobs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qnb", description="Run and follow quantum jobs.")
    sub = parser.add_subparsers(dest="command", required=True)
    jobs.add_commands(sub)
    admin.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Exit codes: 0 done, 1 a job did not end DONE (``--wait``), 2 qnb
    refused (bad input, broken store or configuration), 130 interrupted (Ctrl-C), 141 the
    reader of the output went away (``qnb jobs | head -1``)."""
    try:
        args = build_parser().parse_args(argv)
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except QnbError as exc:
        print(f"qnb: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit: point stdout
        # at /dev/null so that the exit is quiet, as for any Unix filter.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
