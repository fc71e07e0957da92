"""The commands about the installation: backends, the runner, doctor, backup, restore."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..models import StoreError
from .common import print_json


def cmd_backends(args: argparse.Namespace) -> int:
    from ..backends.listing import format_backends, list_backends

    backends = list_backends()
    if args.json:
        print_json([b.to_json() for b in backends])
    else:
        print(format_backends(backends))
    return 0


def cmd_runner(args: argparse.Namespace) -> int:
    from ..config import qnb_home
    from ..runner.control import lock_holder, lock_openers, runner_info, stop_runner

    if args.status:
        info = runner_info(qnb_home())
        others = _store_runners(qnb_home())
        if info is None and not others:
            print("no runner is running")
        else:  # this home's runner (by its lock), and every runner serving the store
            print_json({**(info or {"state": "no runner of this home"}), "runners": others})
        return 0
    if args.stop:
        pid = lock_holder(qnb_home())
        if pid is None:
            print("no runner is running")
            return 0
        if not stop_runner(qnb_home()):
            holders = ", ".join(map(str, lock_openers(qnb_home()))) or "unknown"
            print(f"the runner (pid {pid}) did not stop: its lock is still held "
                  f"(processes with {qnb_home() / 'runner.lock'} open: {holders})",
                  file=sys.stderr)
            return 1
        print(f"stopped the runner (pid {pid}) and its workers")
        return 0
    from ..runner.__main__ import main as runner_main

    forwarded = []
    for flag in ("workers", "idle_timeout", "metrics_port"):
        value = getattr(args, flag)
        if value is not None:
            forwarded += [f"--{flag.replace('_', '-')}", str(value)]
    return runner_main(forwarded + (["--serve"] if args.serve else []))


def _store_runners(home: Path) -> list[dict[str, Any]]:
    """The runners holding a live lease on the store (none read if there is no store yet)."""
    from ..config import store_url
    from ..models import iso
    from ..store import STORE_FILE, get_store

    if not store_url(home) and not (home / STORE_FILE).exists():
        return []
    return [{"lease": f"{r['id']:x}", "host": r["host"], "pid": r["pid"],
             "workers": r["workers"], "service": r["service"], "running": r["running"],
             "following": r["following"], "started": iso(r["started_at"]),
             "heartbeat": iso(r["heartbeat"])}
            for r in get_store(home).runners() if r["alive"]]


def cmd_doctor(args: argparse.Namespace) -> int:
    from .. import doctor
    from ..config import qnb_home

    home = qnb_home()
    report = doctor.recover(home) if args.recover else doctor.check(home, fix=args.fix)
    print("\n".join(report.lines))
    return 1 if report.problems else 0


def cmd_backup(args: argparse.Namespace) -> int:
    from ..config import qnb_home
    from ..store import get_store, make_backup

    store = get_store(qnb_home())
    dest = make_backup(store, keep=args.keep)
    if dest is None:
        print(f"qnb: {store.url} is a database server's store: back it up with its own tools "
              "(pg_dump)", file=sys.stderr)
        return 1
    print(f"backed up to {dest}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..config import qnb_home
    from ..runner.control import runner_alive
    from ..store import restore

    home = qnb_home()
    if runner_alive(home):
        raise StoreError("a runner is serving this store; stop it first ('qnb runner --stop')")
    print(restore(home, Path(args.file)))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..config import qnb_home
    from ..store import get_store
    from ..store.transfer import load

    store = get_store(qnb_home())
    if args.file == "-":
        imported, skipped = load(store, sys.stdin)
    else:
        try:
            with open(args.file, encoding="utf-8") as fh:
                imported, skipped = load(store, fh)
        except OSError as exc:
            raise StoreError(f"cannot read {args.file}: {exc.strerror}") from None
    print(f"imported {imported} job(s) into {store.url}"
          + (f"; {skipped} already there, left as they were" if skipped else ""))
    return 0


def add_commands(sub: Any) -> None:
    """The subcommands of this module, on ``qnb``'s parser."""
    p = sub.add_parser("backends", help="list backend profiles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_backends)

    p = sub.add_parser("runner", help="run the runner in the foreground")
    p.add_argument("--workers", type=int)
    p.add_argument("--idle-timeout", type=float, dest="idle_timeout")
    p.add_argument("--metrics-port", type=int, dest="metrics_port")
    p.add_argument("--serve", action="store_true",
                   help="run as a long-lived service (no idle exit), e.g. under systemd")
    p.add_argument("--status", action="store_true",
                   help="show this home's runner and every runner serving the store")
    p.add_argument("--stop", action="store_true", help="stop the running runner")
    p.set_defaults(func=cmd_runner)

    p = sub.add_parser("doctor", help="check QNB_HOME's privacy and the store's integrity")
    p.add_argument("--fix", action="store_true", help="make QNB_HOME private to its owner")
    p.add_argument("--recover", action="store_true",
                   help="rebuild a damaged store from what can still be read")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("backup", help="copy the job store to QNB_HOME/backups/ now")
    p.add_argument("--keep", type=int, default=7, help="backups to keep (default 7)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("import", help="add the jobs of a 'qnb export --format archive' file "
                                      "to the store in use (e.g. a shared one)")
    p.add_argument("file", help="the archive ('-' for standard input)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("restore", help="replace the job store by a backup")
    p.add_argument("file", help="a backup, e.g. QNB_HOME/backups/jobs-20261129-120000.sqlite")
    p.set_defaults(func=cmd_restore)
