"""The commands about jobs: submit, jobs, show, tag, cancel, export, prune, usage."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..ledger import GROUPS
from ..models import QnbError
from ..teams.groups import current_user
from .common import print_json


def cmd_submit(args: argparse.Namespace) -> int:
    from ..api import submit

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"qnb: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    from ..cirq.convert import from_file_text

    job = submit(from_file_text(text), backend=args.backend, shots=args.shots, name=args.name or path.stem,
                 seed=args.seed, origin="cli", tags=args.tag)
    if args.wait:
        job.wait()
    return _show(job.id, args.json)


def _show(job_id: str, as_json: bool) -> int:
    from ..api import get_job
    from ..notebook.render import duration
    from ..store import get_store

    store = get_store()
    rec = get_job(job_id).record  # another user's job: refused unless a teammate's
    mine = rec.owner is None or rec.owner == current_user()
    result = store.result(job_id) if rec.status == "DONE" and mine else None
    if as_json:
        data = rec.to_json()
        data.pop("options", None)
        if result is not None:
            data["counts"] = result.get("counts")
        print_json(data)
    else:
        print(f"id:        {rec.id}\nname:      {rec.name or ''}\nowner:     {rec.owner or '-'}"
              f"\nbackend:   {rec.backend}"
              f"\nstatus:    {rec.status}\nshots:     {rec.shots}"
              f"\nelapsed:   {duration(rec.elapsed(time.time()))}")
        if rec.tags:
            print(f"tags:      {', '.join(rec.tags)}")
        if rec.provider_status:
            print(f"provider:  {rec.provider_status}")
        if rec.error:
            print(f"error:     {rec.error}")
        if result is not None and result.get("resource_estimates") is not None:
            from ..notebook.estimates import estimates_text

            print("estimate:\n" + "\n".join(estimates_text(result["resource_estimates"])))
        elif result is not None:
            for i, counts in enumerate(result.get("counts", [])):
                top = sorted(counts.items(), key=lambda kv: -kv[1])[:16]
                print(f"counts[{i}]: " + ", ".join(f"{k}: {v}" for k, v in top))
    return 0 if rec.status != "ERROR" else 1


def cmd_show(args: argparse.Namespace) -> int:
    return _show(args.id, args.json)


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    """The job filters of ``jobs`` and ``export`` (``SubmitError`` for a bad status or time)."""
    from ..api import job_filters

    return job_filters(status=args.status, backend=args.backend, session=args.session,
                       tag=args.tag, search=args.search, since=args.since,
                       owner=args.owner, team=args.team)


def cmd_jobs(args: argparse.Namespace) -> int:
    from ..notebook.render import duration
    from ..store import get_store

    records, total = get_store().list(limit=args.limit, **_filters(args))
    if args.json:
        print_json({"jobs": [dict(r.to_json(), options=None) for r in records], "total": total})
        return 0
    now = time.time()
    print(f"{'ID':<13}{'OWNER':<13}{'STATUS':<10}{'BACKEND':<12}{'ELAPSED':>10}  NAME")
    for r in records:
        tags = "".join(f" [{t}]" for t in r.tags)
        print(f"{r.id:<13}{r.owner or '-':<13}{r.status:<10}{r.backend:<12}"
              f"{duration(r.elapsed(now)):>10}  {r.name or ''}{tags}")
    print(f"({len(records)} of {total})")
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    """``qnb tag ID +x -y z``: add x and z, remove y; with no changes, show the tags."""
    from ..store import get_store

    add, remove = [], []
    for change in args.changes:
        if change.startswith("-") and len(change) > 1:
            remove.append(change[1:])
        else:
            add.append(change[1:] if change.startswith("+") else change)
    store = get_store()
    tags = store.retag(args.id, add=add, remove=remove) if add or remove \
        else store.get(args.id).tags
    print(f"{args.id}: {', '.join(tags) if tags else '(no tags)'}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .. import export
    from ..store import get_store

    if args.format == "archive":  # every job whole, for ``qnb import`` into another store
        from ..store.transfer import dump

        dump(get_store(), sys.stdout, **_filters(args))
        return 0
    me = current_user()
    items = export.rows(get_store(), counts=args.counts, **_filters(args),
                        results_of=lambda r: r.owner is None or r.owner == me)
    if args.format == "json":
        export.write_json(items, sys.stdout)
    else:
        export.write_csv(items, sys.stdout, counts=args.counts)
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from ..models import iso, parse_duration
    from ..store import get_store

    try:
        before = time.time() - parse_duration(args.older_than)
    except ValueError as exc:
        raise QnbError(f"--older-than: {exc}") from None
    statuses = [s.strip().upper() for s in ",".join(args.status or []).split(",") if s.strip()]
    final = ("DONE", "ERROR", "CANCELLED")
    wrong = [s for s in statuses if s not in final]
    if wrong:
        raise QnbError(f"--status: only finished jobs can be pruned ({', '.join(final)}), "
                       f"not {', '.join(wrong)}")
    store = get_store()
    which = "/".join(statuses or final)
    if args.dry_run:
        n = store.prune(before=before, statuses=statuses or None, dry_run=True)
        print(f"would remove {n} {which} job(s) created before {iso(before)}")
        return 0
    n = store.prune(before=before, statuses=statuses or None)
    freed = store.reclaim() if n else 0
    print(f"removed {n} {which} job(s) created before {iso(before)}; "
          f"reclaimed {freed / 2**20:.1f} MB")
    return 0


def cmd_usage(args: argparse.Namespace) -> int:
    """``qnb usage [--by backend|day|tag|status] [--since WHEN]``: the ledger added up."""
    from .. import ledger
    from ..models import parse_since
    from ..store import get_store

    if args.budget:
        return _budgets(args)
    try:
        since = parse_since(args.since)
    except ValueError as exc:
        raise QnbError(f"--since: {exc}") from None
    rows = get_store().usage(by=args.by, since=since)
    if args.format == "json":
        print_json({"by": args.by, "since": since, "groups": rows,
                     "cost_is_estimate": True})
    elif args.format == "csv":
        import csv

        out = csv.DictWriter(sys.stdout, fieldnames=ledger.COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    else:
        print(ledger.table(rows, args.by))
    return 0


def _budgets(args: argparse.Namespace) -> int:
    """``qnb usage --budget``: each budget that applies to this user, spent, reserved and
    left in its current period."""
    from ..config import load_config
    from ..store import get_store
    from ..teams.groups import team_of
    from ..teams.spending import budget_report, budget_table

    cfg = load_config()
    rows = budget_report(cfg, team_of(cfg.team), current_user(), get_store())
    if args.format == "json":
        print_json({"user": current_user(), "budgets": rows})
    else:
        print(budget_table(rows))
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    from ..api import get_job
    from ..config import load_config
    from ..teams.access import Caller

    job = get_job(args.id)
    Caller.local(load_config().team).check_cancel(job.record)
    status = job.cancel()
    print(f"{args.id}: {status}" + (" (cancel requested)" if not status.is_final else ""))
    return 0


def add_commands(sub: Any) -> None:
    """The subcommands of this module, on ``qnb``'s parser."""
    p = sub.add_parser("submit", help="submit an OpenQASM 2/3 file or a cirq.to_json circuit")
    p.add_argument("file")
    p.add_argument("-b", "--backend")
    p.add_argument("-s", "--shots", type=int)
    p.add_argument("-n", "--name")
    p.add_argument("--seed", type=int)
    p.add_argument("-t", "--tag", action="append", default=[],
                   help="label the job with this tag (repeatable)")
    p.add_argument("--wait", action="store_true", help="wait for the job to finish")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_submit)

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--status", help="only jobs with this status (or several, comma-separated)")
        p.add_argument("-b", "--backend", help="only jobs on this backend")
        p.add_argument("-t", "--tag", action="append", default=[],
                       help="only jobs with this tag (repeatable: with every one)")
        p.add_argument("--search", metavar="TEXT", help="only jobs whose name, backend or a "
                       "tag contains TEXT, or whose id starts with it (any case)")
        p.add_argument("--since", metavar="WHEN", help="only jobs created since WHEN: ISO 8601 "
                       "(2026-11-20, 2026-11-20T08:00Z; UTC unless it says), epoch seconds, "
                       "or a duration ago (7d, 12h, 30m)")
        p.add_argument("--session", help="only jobs of this session id")
        p.add_argument("--team", action="store_true", help="the jobs of every member of "
                       "your groups (JupyterHub groups, or [team.groups]), not only yours")
        p.add_argument("--owner", metavar="USER", help="the jobs of USER, a member of one of "
                       "your groups, instead of yours")

    p = sub.add_parser("jobs", help="list jobs, newest first")
    filters(p)
    p.add_argument("-l", "--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_jobs)

    p = sub.add_parser("tag", help="add or remove a job's tags: qnb tag ID +x -y",
                       description="Change a job's tags: +TAG (or TAG) adds it, -TAG removes "
                                   "it. With no changes, shows the tags.")
    p.add_argument("id")
    p.add_argument("changes", nargs=argparse.REMAINDER, metavar="+TAG|-TAG")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("export", help="write jobs as CSV or JSON to standard output",
                       description="Write every matching job, oldest first: id, name, backend, "
                                   "status, shots, circuits, tags, session, created/started/"
                                   "finished times (ISO 8601 UTC) and error; or, with "
                                   "--format archive, every job whole (record, circuits, "
                                   "result) for 'qnb import' into another store.")
    p.add_argument("--format", choices=("csv", "json", "archive"), default="csv")
    filters(p)
    p.add_argument("--counts", action="store_true",
                   help="add each job's counts (or Estimator expectation values and stds)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("prune", help="delete old finished jobs and reclaim their space")
    p.add_argument("--older-than", required=True, dest="older_than", metavar="AGE",
                   help="jobs created longer ago than AGE: 30d, 12h, 2w, ...")
    p.add_argument("--status", action="append",
                   help="only jobs with this final status (DONE, ERROR, CANCELLED; repeatable "
                        "or comma-separated); default all three")
    p.add_argument("--dry-run", action="store_true", dest="dry_run",
                   help="say how many jobs would go, delete nothing")
    p.set_defaults(func=cmd_prune)

    p = sub.add_parser("usage", help="what finished jobs used: shots, circuits, seconds, "
                       "QPU seconds, estimated cost",
                       description="Add up the usage ledger (one row per finished job, kept "
                                   "after the job is pruned). Costs are estimates from the "
                                   "profiles' price tables.")
    p.add_argument("--by", choices=GROUPS, default="backend",
                   help="group by backend (default), day (UTC), tag or final status")
    p.add_argument("--since", metavar="WHEN", help="only jobs that finished since WHEN: ISO "
                   "8601, epoch seconds, or a duration ago (7d, 12h, 30m)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--budget", action="store_true", help="instead: each budget of paid "
                   "backends that applies to you, with what is spent, reserved and left")
    p.set_defaults(func=cmd_usage)

    p = sub.add_parser("show", help="show one job")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("cancel", help="cancel a job")
    p.add_argument("id")
    p.set_defaults(func=cmd_cancel)
