"""IPython magics: ``%%qsubmit``, ``%qsubmit``, ``%qbackend``, ``%qjobs``, ``%qresult``,
``%qcompare``, ``%qcancel`` and ``%qsession``."""

from __future__ import annotations

import ast
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, argument_group, magic_arguments, parse_argstring

from ..models import QnbError


def _submit_options(func: Any) -> Any:
    """The option group ``%%qsubmit`` and ``%qsubmit`` share."""
    decorators = [
        argument_group("submission"),
        argument("-b", "--backend", help="backend profile (default: %%qbackend's or 'aer')"),
        argument("-s", "--shots", help="shots per circuit (default 1024)"),
        argument("-n", "--name", help="a name for the job"),
        argument("-o", "--out", metavar="VAR", help="also bind the Job to this variable"),
        argument("--seed", help="simulator and transpiler seed, for repeatable counts"),
        argument("--wait", action="store_true", help="block until the job has finished"),
        argument("--mitigate", action="store_true",
                 help="readout-error mitigation (noisy backends): raw and mitigated counts"),
        argument("--primitive", choices=("sampler", "estimator"),
                 help="run as this Qiskit primitive (default: from the PUBs; plain circuits "
                      "give counts)"),
        argument("--precision", help="the Estimator's target precision"),
        argument("-t", "--tag", action="append", default=[], metavar="TAG",
                 help="label the job with this tag (repeatable)"),
        argument("--option", action="append", default=[], metavar="KEY=VALUE",
                 help="a primitive option (repeatable); VALUE is JSON or text, e.g. "
                      "--option resilience_level=1"),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


def _int_option(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{what} must be an integer, got {value!r}") from None


def _float_option(value: str | None, what: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"{what} must be a number, got {value!r}") from None


def _unquote(text: str | None) -> str | None:
    """``-n "two words"`` reaches the magic with its quotes: drop a matching pair."""
    if text and len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _key_values(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b=text"]`` as ``{"a": 1, "b": "text"}`` (values read as JSON when they are)."""
    import json

    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--option takes KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(text)
        except ValueError:
            out[key.strip()] = text
    return out


@magics_class
class QnbMagics(Magics):
    """Submit circuits and follow jobs from IPython."""

    def _run_cell_value(self, cell: str) -> Any:
        """Run the cell in the user's namespace and return its last expression's value."""
        shell = self.shell
        source = shell.transform_cell(cell)
        tree = ast.parse(source, filename="<qsubmit cell>")
        if not tree.body or not isinstance(tree.body[-1], ast.Expr):
            raise UsageError(
                "the cell's last line must be an expression giving the circuit(s) to submit, "
                "e.g. end the cell with 'qc'")
        last = tree.body.pop()
        ns = shell.user_ns
        if tree.body:
            exec(compile(tree, "<qsubmit cell>", "exec"), ns)
        return eval(compile(ast.Expression(last.value), "<qsubmit cell>", "eval"), ns)

    def _submit(self, args: Any, value: Any) -> Any:
        from ..api import submit

        shots = _int_option(args.shots, "shots (-s)")
        seed = _int_option(args.seed, "seed (--seed)")
        precision = _float_option(args.precision, "precision (--precision)")
        name = _unquote(args.name)
        run_options = {"mitigate": True} if args.mitigate else None
        try:
            job = submit(value, backend=args.backend, shots=shots, name=name, seed=seed,
                         run_options=run_options, primitive=args.primitive,
                         precision=precision, options=_key_values(args.option) or None,
                         tags=[_unquote(t) for t in args.tag])
        except QnbError as exc:  # bad input, or a store that cannot take the job
            raise UsageError(str(exc)) from None
        if args.out:
            self.shell.user_ns[args.out] = job
        if args.wait:
            self._wait_or_cancel(job)
        return job

    @staticmethod
    def _wait_or_cancel(job: Any) -> None:
        """``--wait``: an interrupt cancels the job waited on, and says so in one line."""
        from ..job import Interrupted

        try:
            job.wait()
        except KeyboardInterrupt:
            status = job.cancel()
            if status == "CANCELLED":
                what = f"job {job.id} cancelled"
            elif status in ("QUEUED", "RUNNING"):
                what = f"cancelling job {job.id}: the runner is stopping it"
            else:
                what = f"job {job.id} had already ended {status}"
            raise Interrupted(f"interrupted while waiting; {what}") from None

    @magic_arguments()
    @_submit_options
    @argument("expr", nargs="*", help="(line magic) an expression giving the circuit(s)")
    @line_cell_magic
    def qsubmit(self, line: str, cell: str | None = None) -> Any:
        """Submit circuits without blocking the kernel; returns the ``Job`` (a live widget).

        As a cell magic the cell is OpenQASM 2/3 (when it starts with OPENQASM) or Python
        whose last expression gives a QuantumCircuit or a cirq.Circuit, a list of them, a
        Qiskit primitive PUB (``(qc, observables[, values[, precision]])`` for the Estimator,
        ``(qc, values[, shots])`` for the Sampler) or a list of PUBs, or a PennyLane QNode.
        As a line magic, ``%qsubmit EXPR`` submits what EXPR evaluates to.
        """
        args = parse_argstring(self.qsubmit, line)
        if cell is None:
            if not args.expr:
                raise UsageError("%qsubmit needs an expression, e.g. %qsubmit qc -s 1000")
            value = self.shell.ev(" ".join(args.expr))
        else:
            if args.expr:
                raise UsageError(f"unexpected arguments to %%qsubmit: {' '.join(args.expr)}")
            from ..circuits import looks_like_qasm

            value = cell if looks_like_qasm(cell) else self._run_cell_value(cell)
        return self._submit(args, value)

    @line_magic
    def qbackend(self, line: str) -> Any:
        """``%qbackend`` lists the backend profiles; ``%qbackend NAME`` makes NAME the default."""
        from ..backends.listing import BackendTable
        from ..config import ConfigError
        from ..defaults import default_backend, set_default_backend

        name = line.strip()
        if name:
            try:
                set_default_backend(name)
            except ConfigError as exc:
                raise UsageError(str(exc)) from None
            print(f"default backend for this kernel: {name}")
            return None
        return BackendTable(default_backend())

    @magic_arguments()
    @argument("--status", help="only jobs with this status")
    @argument("-b", "--backend", help="only jobs on this backend")
    @argument("-t", "--tag", action="append", default=[], metavar="TAG",
              help="only jobs with this tag (repeatable: with every one)")
    @argument("--search", metavar="TEXT",
              help="only jobs whose name, backend or a tag contains TEXT, or whose id starts "
                   "with it (any case)")
    @argument("--since", metavar="WHEN",
              help="only jobs created since WHEN: ISO 8601, epoch seconds, or 7d, 12h, 30m ago")
    @argument("-l", "--limit", type=int, default=20, help="how many jobs (default 20)")
    @argument("--team", action="store_true",
              help="the jobs of every member of your groups, not only yours")
    @argument("--owner", metavar="USER", help="the jobs of USER (a member of your groups)")
    @line_magic
    def qjobs(self, line: str) -> Any:
        """A live table of your newest jobs (``--team``: your groups' members')."""
        from ..api import job_filters
        from ..models import JobStatus, parse_since
        from .widgets import JobsTable

        args = parse_argstring(self.qjobs, line)
        status = args.status.upper() if args.status else None
        if status and status not in JobStatus.__members__:
            raise UsageError(f"unknown status {args.status!r}; use one of "
                             f"{', '.join(JobStatus.__members__)}")
        try:
            since = parse_since(_unquote(args.since))
        except ValueError as exc:
            raise UsageError(f"--since: {exc}") from None
        try:
            owners = job_filters(owner=_unquote(args.owner), team=args.team)["owner"]
        except QnbError as exc:
            raise UsageError(str(exc)) from None
        return JobsTable(status=status, backend=args.backend, limit=args.limit,
                         tag=[_unquote(t) for t in args.tag] or None,
                         search=_unquote(args.search), since=since, owner=owners,
                         show_owner=bool(args.team or args.owner))

    @magic_arguments()
    @argument("id", help="the job id")
    @argument("-o", "--out", metavar="VAR", help="bind the JobResult to this variable")
    @line_magic
    def qresult(self, line: str) -> Any:
        """Show a job (its result when done); ``-o VAR`` binds its ``JobResult``."""
        from ..api import get_job

        args = parse_argstring(self.qresult, line)
        try:
            job = get_job(args.id)
            if args.out:
                self.shell.user_ns[args.out] = job.result()
        except QnbError as exc:
            raise UsageError(str(exc)) from None
        return job

    @magic_arguments()
    @argument("jobs", nargs="+", metavar="ID", help="two or more job ids (or variables "
                                                    "holding jobs)")
    @argument("-i", "--index", type=int, default=0,
              help="which circuit (or Sampler PUB) of each job (default 0)")
    @argument("-o", "--out", metavar="VAR", help="bind the Comparison to this variable")
    @line_magic
    def qcompare(self, line: str) -> Any:
        """Overlay the counts of several jobs and show the total variation distance and
        Hellinger fidelity between each pair."""
        from ..api import get_job
        from .comparison import compare

        args = parse_argstring(self.qcompare, line)
        if len(args.jobs) < 2:
            raise UsageError("%qcompare needs two or more job ids")
        try:
            jobs = [self.shell.user_ns[name] if name in self.shell.user_ns else get_job(name)
                    for name in args.jobs]
            result = compare(*jobs, index=args.index)
        except (QnbError, ValueError, TypeError, IndexError) as exc:  # not jobs, no such index
            raise UsageError(str(exc)) from None
        if args.out:
            self.shell.user_ns[args.out] = result
        return result

    @line_magic
    def qcancel(self, line: str) -> None:
        """Cancel a queued or running job by id."""
        from ..api import get_job

        job_id = line.strip()
        if not job_id:
            raise UsageError("usage: %qcancel ID")
        try:
            status = get_job(job_id).cancel()
        except QnbError as exc:
            raise UsageError(str(exc)) from None
        if status == "CANCELLED":
            print(f"job {job_id} cancelled")
        elif status == "RUNNING" or status == "QUEUED":
            print(f"job {job_id}: cancel requested; the runner is stopping it")
        else:
            print(f"job {job_id} had already ended {status}; nothing to cancel")

    @magic_arguments()
    @argument("backend", nargs="?", help="the backend the session runs on (default: the "
                                         "kernel's default)")
    @argument("--batch", action="store_true", help="a batch rather than a session")
    @argument("--max-time", type=float, dest="max_time", help="seconds the session may last")
    @argument("--close", action="store_true", help="end the kernel's session")
    @line_magic
    def qsession(self, line: str) -> Any:
        """``%qsession NAME [--batch]``: every job this kernel submits joins one session (on
        IBM Quantum a Runtime Session or Batch) until ``%qsession --close``."""
        from ..primitives.sessions import current_session, session, set_kernel_session

        args = parse_argstring(self.qsession, line)
        if args.close:
            now = current_session()
            if now is None:
                print("no session is open in this kernel")
                return None
            now.close()
            set_kernel_session(None)
            print(f"closed {now.mode} {now.id}")
            return None
        try:
            made = session(args.backend, "batch" if args.batch else "session", args.max_time)
        except QnbError as exc:
            raise UsageError(str(exc)) from None
        previous = current_session()
        if previous is not None:
            previous.close()
        set_kernel_session(made)
        print(f"{made.mode} {made.id} on {made.backend}: jobs from this kernel join it until "
              "%qsession --close")
        return made
